'use strict';
/* global URL, __filename */
/**
 * Cronium runtime helpers for Node.js (DESIGN.md §3). Node builtins only; runs on Node 18 and later.
 *
 *   const cronium = require('cronium');        // promises: await cronium.input()
 *   node --require /path/cronium.js job.js      // also installs the global `cronium`, synchronous:
 *   const data = cronium.input();               //   what scripts written for Cronium expect
 *
 * Loading this file (by require or --require) defines `globalThis.cronium` (unless something already
 * owns that name) with the synchronous API. Nothing else happens at load time: no worker, no socket, no
 * timer, so preloading it into every node process costs ~2 ms of start-up and nothing until a call.
 *
 * Synchronous calls run the HTTP request on one lazily started, unref'd worker thread and block with
 * Atomics.wait until it answers (the result comes back through receiveMessageOnPort). This costs about
 * a millisecond per call once the worker is up (the first call pays ~30 ms to start it), against ~30 ms
 * for a node child process per call, and the unref'd worker never keeps the job alive.
 */
// node:http/https are required on first use: preloading this file into every node process stays cheap.

const RETRY_DELAYS_MS = [200, 500, 1000]; // three retries, on transient failures only
const MAX_RETRY_AFTER_MS = 30000; // a 429's Retry-After is honoured up to this
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);
const MISSING_ENV = 'Cronium runtime helpers need CRONIUM_RUNTIME_API and CRONIUM_EXECUTION_TOKEN; run this script as a Cronium job (cronium run FILE)';

class CroniumError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'CroniumError';
  }
}

/** The runtime API answered with an error status (or not at all). `status` is the HTTP status, 0 when unreachable. */
class CroniumAPIError extends CroniumError {
  constructor(message, status, code, options) {
    super(message, options);
    this.name = 'CroniumAPIError';
    this.status = status;
    this.code = code;
  }
}

class CroniumTimeoutError extends CroniumError {
  constructor(message, options) {
    super(message, options);
    this.name = 'CroniumTimeoutError';
  }
}

/** Reads the job environment on every call, so a missing variable is an error only when a helper is used. */
function config() {
  const env = process.env;
  const base = env.CRONIUM_RUNTIME_API;
  const token = env.CRONIUM_EXECUTION_TOKEN;
  if (!base || !token) throw new CroniumError(MISSING_ENV);
  const executionId = env.CRONIUM_EXECUTION_ID;
  if (!executionId) throw new CroniumError('Cronium runtime helpers need CRONIUM_EXECUTION_ID; run this script as a Cronium job (cronium run FILE)');
  const seconds = Number(env.CRONIUM_HELPER_TIMEOUT);
  const timeoutMs = seconds > 0 ? seconds * 1000 : 30000;
  return { base: base.replace(/\/+$/, ''), token, executionId, timeoutMs };
}

/** One HTTP exchange (`bodyText` is JSON text or undefined). Resolves {status, headers, text}; rejects on socket errors and timeouts. */
function sendOnce(cfg, method, path, bodyText) {
  return new Promise((resolve, reject) => {
    let url;
    try {
      url = new URL(cfg.base + path);
    } catch {
      reject(new CroniumError(`CRONIUM_RUNTIME_API is not a valid URL: ${cfg.base}`));
      return;
    }
    const payload = bodyText === undefined ? undefined : Buffer.from(bodyText);
    const headers = { Authorization: `Bearer ${cfg.token}`, Accept: 'application/json' };
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = payload.length;
    }
    // agent:false: a fresh connection per request, so no keep-alive socket outlives the call.
    const req = require(url.protocol === 'https:' ? 'node:https' : 'node:http').request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(cfg.timeoutMs, () => {
      const err = new Error(`no answer within ${cfg.timeoutMs / 1000} s`);
      err.code = 'CRONIUM_TIMEOUT';
      req.destroy(err);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The server's own words for an error response: error.message, message, or the start of the body. */
function serverMessage(text) {
  const body = parseJson(text);
  const err = body && body.error;
  if (err && typeof err === 'object' && err.message) return String(err.message);
  if (typeof err === 'string') return err;
  if (body && body.message) return String(body.message);
  return text.trim().slice(0, 200) || 'no details';
}

function retryAfterMs(headers, fallback) {
  const value = headers['retry-after'];
  if (!value) return fallback;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : fallback;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `method /executions/{id}/{what}` and returns the envelope's `data`. Retries connection failures,
 * timeouts, 429 and 5xx; any other error status fails at once. With `missingIsNull`, a 404 returns null.
 */
async function call(cfg, method, what, bodyText, missingIsNull) {
  const path = `/executions/${encodeURIComponent(cfg.executionId)}/${what}`;
  const attempts = RETRY_DELAYS_MS.length + 1;
  for (let attempt = 1; ; attempt++) {
    const last = attempt === attempts;
    let res;
    try {
      res = await sendOnce(cfg, method, path, bodyText);
    } catch (err) {
      if (err instanceof CroniumError) throw err;
      const code = err && err.code;
      const transient = TRANSIENT_CODES.has(code) || code === 'CRONIUM_TIMEOUT' || /socket hang up/.test(err && err.message);
      if (transient && !last) {
        await sleep(RETRY_DELAYS_MS[attempt - 1]);
        continue;
      }
      const tries = attempt === 1 ? '' : ` (${attempt} attempts)`;
      if (code === 'CRONIUM_TIMEOUT') {
        throw new CroniumTimeoutError(`Cronium runtime API at ${cfg.base} did not answer ${method} ${what} within ${cfg.timeoutMs / 1000} s${tries}`, { cause: err });
      }
      throw new CroniumAPIError(`Cannot reach the Cronium runtime API at ${cfg.base}: ${err.message}${tries}`, 0, code, { cause: err });
    }
    const { status } = res;
    if (status >= 200 && status < 300) {
      const envelope = parseJson(res.text);
      if (envelope === undefined) throw new CroniumAPIError(`Cronium runtime API sent a response that is not JSON for ${method} ${what}`, status, 'bad_response');
      return envelope && envelope.data !== undefined ? envelope.data : null;
    }
    if ((status === 429 || status >= 500) && !last) {
      const delay = RETRY_DELAYS_MS[attempt - 1];
      await sleep(status === 429 ? retryAfterMs(res.headers, delay) : delay);
      continue;
    }
    if (status === 404 && missingIsNull) return null;
    const detail = serverMessage(res.text);
    const error = (parseJson(res.text) || {}).error;
    const errorCode = (error && typeof error === 'object' && (error.kind || error.code)) || undefined;
    // token_expired: the execution has ended (or outlived its timeout); the server's words say which.
    if (status === 401 && errorCode === 'token_expired') throw new CroniumAPIError(`Cronium runtime API refused the execution token: ${detail}`, status, errorCode);
    if (status === 401) throw new CroniumAPIError(`Cronium runtime API rejected the execution token (expired or invalid): ${detail}`, status, errorCode || 'unauthorized');
    if (status === 403) {
      throw new CroniumAPIError(`Cronium runtime API refused access to execution ${cfg.executionId}: the token belongs to another execution (${detail})`, status, errorCode || 'forbidden');
    }
    const tries = attempt === 1 ? '' : ` after ${attempt} attempts`;
    throw new CroniumAPIError(`Cronium runtime API error ${status} on ${method} ${what}${tries}: ${detail}`, status, errorCode);
  }
}

function variablePath(key) {
  if (typeof key !== 'string' || key === '') throw new TypeError('cronium: a variable key must be a non-empty string');
  return `variables/${encodeURIComponent(key)}`;
}

function toCondition(value) {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  throw new TypeError(`cronium: setCondition expects true or false, got ${JSON.stringify(value)}`);
}

/** Each helper as (args) => [method, path, body, missingIsNull, pick result]; both APIs are built from it. */
const OPERATIONS = {
  input: () => ['GET', 'input'],
  output: (data) => ['POST', 'output', { data: data === undefined ? null : data }],
  getVariable: (key) => ['GET', variablePath(key), undefined, true, (data) => (data && typeof data === 'object' && 'value' in data ? data.value : null)],
  setVariable: (key, value) => ['PUT', variablePath(key), { value: value === undefined ? null : value }],
  setCondition: (condition) => ['POST', 'condition', { condition: toCondition(condition) }],
  event: () => ['GET', 'context'],
};
const RETURNS_DATA = new Set(['input', 'getVariable', 'event']); // the others resolve to undefined

/** Validates the arguments and reads the environment (both throw here), then describes the request. */
function prepare(name, args) {
  const [method, what, body, missingIsNull, pick] = OPERATIONS[name](...args);
  // Serialized in the caller's thread, so toJSON() and friends behave as JSON.stringify always does.
  const bodyText = body === undefined ? undefined : JSON.stringify(body);
  return { cfg: config(), method, what, bodyText, missingIsNull, pick };
}

function result(name, pick, data) {
  if (!RETURNS_DATA.has(name)) return undefined;
  return pick ? pick(data) : data;
}

const asyncApi = {};
for (const name of Object.keys(OPERATIONS)) {
  asyncApi[name] = async (...args) => {
    const { cfg, method, what, bodyText, missingIsNull, pick } = prepare(name, args);
    return result(name, pick, await call(cfg, method, what, bodyText, missingIsNull));
  };
}

// ---- synchronous API: a worker thread does the request while this thread sleeps in Atomics.wait ----

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const helper = require(workerData.file);
const { port, signal } = workerData;
port.on('message', ({ cfg, method, what, bodyText, missingIsNull }) => {
  helper._call(cfg, method, what, bodyText, missingIsNull).then(
    (value) => ({ ok: true, value }),
    (e) => ({ ok: false, error: { name: e && e.name, message: String(e && e.message), status: e && e.status, code: e && e.code } }),
  ).then((reply) => {
    try { port.postMessage(reply); } catch (e) { port.postMessage({ ok: false, error: { name: 'CroniumError', message: 'cronium: result cannot be passed back: ' + e.message } }); }
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  });
});
`;

let syncChannel; // { worker, port, signal }, created on the first synchronous call

function startWorker() {
  const { Worker, MessageChannel } = require('node:worker_threads');
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file: __filename, port: port2, signal, croniumWorker: true },
    transferList: [port2],
    // The job's own flags (--require of this file, --inspect, ...) have no business in the helper thread.
    execArgv: [],
  });
  worker.unref(); // never keeps the job alive
  port1.unref();
  // A crashed worker is replaced on the next call instead of leaving later calls hanging.
  const forget = () => { if (syncChannel && syncChannel.worker === worker) syncChannel = undefined; };
  worker.on('error', forget).on('exit', forget);
  return { worker, port: port1, signal };
}

function runSync(name, args) {
  // Bad arguments and a missing environment throw here, in the script's stack, before any thread starts.
  const { cfg, method, what, bodyText, missingIsNull, pick } = prepare(name, args);
  if (!syncChannel) syncChannel = startWorker();
  const { port, signal } = syncChannel;
  const { receiveMessageOnPort } = require('node:worker_threads');
  Atomics.store(signal, 0, 0);
  port.postMessage({ cfg, method, what, bodyText, missingIsNull });
  // Bounded wait: every attempt is bounded by the request timeout, plus retry pauses and worker start-up.
  const limitMs = (RETRY_DELAYS_MS.length + 1) * (cfg.timeoutMs + MAX_RETRY_AFTER_MS) + 10000;
  const deadline = Date.now() + limitMs;
  while (Atomics.load(signal, 0) === 0) {
    const left = deadline - Date.now();
    if (left <= 0) {
      syncChannel.worker.terminate();
      syncChannel = undefined;
      throw new CroniumTimeoutError(`cronium.${name}() got no answer within ${Math.round(limitMs / 1000)} s`);
    }
    Atomics.wait(signal, 0, 0, left);
  }
  const message = receiveMessageOnPort(port);
  const reply = message && message.message;
  if (!reply) throw new CroniumError(`cronium.${name}(): the helper thread answered nothing`);
  if (reply.ok) return result(name, pick, reply.value);
  const { name: errName, message: text, status, code } = reply.error;
  // Errors are rebuilt here so their stack points at the script's line, not at the worker.
  if (errName === 'CroniumAPIError') throw new CroniumAPIError(text, status, code);
  if (errName === 'CroniumTimeoutError') throw new CroniumTimeoutError(text);
  if (errName === 'TypeError') throw new TypeError(text);
  throw new CroniumError(text);
}

const syncApi = {};
for (const name of Object.keys(OPERATIONS)) syncApi[name] = (...args) => runSync(name, args);
Object.assign(syncApi, { CroniumError, CroniumAPIError, CroniumTimeoutError });
Object.freeze(syncApi);

/** Defines the global `cronium` (synchronous API) unless the name is taken. Returns the global's value. */
function installGlobal() {
  if (!Object.prototype.hasOwnProperty.call(globalThis, 'cronium')) {
    // Non-enumerable like built-in globals; writable and configurable so a script may still use the name.
    Object.defineProperty(globalThis, 'cronium', { value: syncApi, writable: true, configurable: true, enumerable: false });
  }
  return globalThis.cronium;
}

module.exports = {
  ...asyncApi,
  sync: syncApi,
  installGlobal,
  CroniumError,
  CroniumAPIError,
  CroniumTimeoutError,
  _call: call, // used by the helper thread
};

const inHelperWorker = (() => {
  try {
    const { isMainThread, workerData } = require('node:worker_threads');
    return !isMainThread && Boolean(workerData && workerData.croniumWorker);
  } catch {
    return false;
  }
})();
if (!inHelperWorker) installGlobal();
