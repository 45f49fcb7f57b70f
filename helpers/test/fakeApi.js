'use strict';
// @ts-check
/**
 * A fake Cronium runtime API for the helper tests: the HTTP contract of DESIGN.md §3, in memory, on
 * 127.0.0.1 and a random port. Plain JavaScript on node:http so it also runs under a bare `node` (e.g. in
 * a cronium/node container): `node helpers/test/fakeApi.js` prints {url, token, executionId} and serves
 * until killed.
 *
 * Switches (set on the returned object between requests):
 *   script: [{status, body?, headers?, delayMs?}]  answers consumed in order, before normal handling
 *   delayMs                                        delay every answer (timeouts)
 *   token / executionId                            a request with another token gets 401, another id 403
 */
const http = require('node:http');

/**
 * @typedef {{method: string, path: string, headers: http.IncomingHttpHeaders, body: unknown, raw: string}} RecordedRequest
 * @typedef {{status: number, body?: unknown, headers?: Record<string, string>, delayMs?: number}} ScriptedAnswer
 * @typedef {object} FakeApiOptions
 * @property {string} [token]
 * @property {string} [executionId]
 * @property {unknown} [input]
 * @property {Record<string, unknown>} [variables]
 * @property {Record<string, unknown>} [context]
 */

/** @param {FakeApiOptions} [options] */
async function startFakeApi(options = {}) {
  const executionId = options.executionId ?? 'exec-1';
  const state = {
    token: options.token ?? 'test-token',
    executionId,
    input: options.input === undefined ? null : options.input,
    /** @type {Map<string, unknown>} */
    variables: new Map(Object.entries(options.variables ?? {})),
    /** @type {unknown} */
    output: undefined,
    /** @type {boolean | undefined} */
    condition: undefined,
    context: options.context ?? {
      executionId,
      jobId: 'job-1',
      eventId: 'event-1',
      eventName: 'Nightly report',
      runtime: 'node',
      target: 'local',
      startedAt: '2025-01-01T00:00:00.000Z',
    },
    /** @type {RecordedRequest[]} */
    requests: [],
    /** @type {ScriptedAnswer[]} */
    script: [],
    delayMs: 0,
  };

  /** @param {http.ServerResponse} res @param {number} status @param {unknown} body @param {Record<string, string>} [headers] */
  function send(res, status, body, headers = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(text);
  }
  /** @param {string} code @param {string} message */
  const failure = (code, message) => ({ success: false, error: { code, message } });

  /** @param {RecordedRequest} req @returns {[number, unknown]} */
  function handle(req) {
    if (req.method === 'GET' && req.path === '/health') return [200, { status: 'ok' }];
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${state.token}`) return [401, failure('unauthorized', 'token expired')];
    const m = /^\/executions\/([^/]+)\/(input|output|condition|context|variables\/([^/]+))$/.exec(req.path);
    if (!m) return [404, failure('not_found', `no route ${req.method} ${req.path}`)];
    if (decodeURIComponent(m[1]) !== state.executionId) return [403, failure('forbidden', 'token is not valid for this execution')];
    const what = m[3] === undefined ? m[2] : 'variables';
    const body = /** @type {Record<string, unknown> | null} */ (req.body);
    const route = `${req.method} ${what}`;
    const badBody = (/** @type {string} */ field) => [400, failure('bad_request', `body must be a JSON object with "${field}"`)];
    switch (route) {
      case 'GET input':
        return [200, { success: true, data: state.input }];
      case 'POST output':
        if (!body || typeof body !== 'object' || !('data' in body)) return /** @type {[number, unknown]} */ (badBody('data'));
        state.output = body.data;
        return [200, { success: true }];
      case 'POST condition':
        if (!body || typeof body.condition !== 'boolean') return [400, failure('bad_request', 'condition must be a boolean')];
        state.condition = body.condition;
        return [200, { success: true }];
      case 'GET context':
        return [200, { success: true, data: state.context }];
      case 'GET variables': {
        const key = decodeURIComponent(m[3]);
        if (!state.variables.has(key)) return [404, failure('not_found', `variable ${key} not found`)];
        return [200, { success: true, data: { key, value: state.variables.get(key) } }];
      }
      case 'PUT variables': {
        if (!body || typeof body !== 'object' || !('value' in body)) return /** @type {[number, unknown]} */ (badBody('value'));
        state.variables.set(decodeURIComponent(m[3]), body.value);
        return [200, { success: true }];
      }
      default:
        return [405, failure('method_not_allowed', `${route} is not allowed`)];
    }
  }

  const server = http.createServer((req, res) => {
    const chunks = /** @type {Buffer[]} */ ([]);
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      /** @type {unknown} */
      let body = undefined;
      if (raw !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          body = { unparsable: raw };
        }
      }
      const rawPath = (req.url ?? '/').split('?')[0];
      /** @type {RecordedRequest} */
      const record = { method: req.method ?? 'GET', path: rawPath, headers: req.headers, body, raw };
      state.requests.push(record);
      const scripted = state.script.shift();
      const delay = scripted?.delayMs ?? state.delayMs;
      const answer = () => {
        if (scripted) send(res, scripted.status, scripted.body ?? failure('scripted', `scripted ${scripted.status}`), scripted.headers);
        else {
          const [status, payload] = handle(record);
          send(res, status, payload);
        }
      };
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    port,
    /** The environment a job gets. */
    env() {
      return {
        CRONIUM_RUNTIME_API: `http://127.0.0.1:${port}`,
        CRONIUM_EXECUTION_TOKEN: state.token,
        CRONIUM_EXECUTION_ID: state.executionId,
        CRONIUM_JOB_ID: 'job-1',
        CRONIUM_EVENT_ID: 'event-1',
      };
    },
    /** Requests other than /health. */
    calls() {
      return state.requests.filter((r) => r.path !== '/health');
    },
    reset() {
      state.requests.length = 0;
      state.script.length = 0;
      state.delayMs = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  });
}

/** A port on 127.0.0.1 that refuses connections (it was just bound and released). */
async function refusedPort() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  return port;
}

module.exports = { startFakeApi, refusedPort };

if (require.main === module) {
  startFakeApi({ input: { hello: 'world' } }).then((api) => {
    process.stdout.write(`${JSON.stringify({ url: api.url, token: api.token, executionId: api.executionId })}\n`);
  });
}
