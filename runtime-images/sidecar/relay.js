#!/usr/bin/env node
// Runtime-API relay of the sidecar container (DESIGN.md §3). It joins a container job's internal
// network as `runtime-api` and forwards each HTTP request to the daemon over its own attached stdio,
// so no host port is ever opened and it works with any Docker engine (local, tcp://, ssh://).
//
//   stdout, one JSON line per request:  {"id":n,"method","path","headers","body":"<base64>"}
//   stdin,  one JSON line per answer:   {"id":n,"status","headers","body":"<utf8>","bodyEncoding"?:"base64"}
//   stdout, once listening:             {"ready":true,"port":8081}
//   stdin,  {"resync":true}: write every unanswered request again (a restarted daemon re-attached and
//           the lines the old one read but never answered are lost otherwise).
//
// Node >= 18, no dependencies. Plain JavaScript: the image bakes this file as it is.
'use strict';
const http = require('node:http');

const PORT = Number(process.env.CRONIUM_RELAY_PORT || 8081);
const MAX_BODY_BYTES = 1024 * 1024;
const TIMEOUT_MS = Number(process.env.CRONIUM_RELAY_TIMEOUT_MS || 30000);
// A daemon answer larger than this is a protocol error, not a reason to grow without bound.
const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Unanswered requests by id: the line we sent (for resync), the response and its timer. */
const pending = new Map();
let nextId = 1;
let daemonGone = false;

function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function flatHeaders(headers) {
  const flat = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return flat;
}

function relay(req, res, body) {
  if (daemonGone) {
    sendJson(res, 502, { error: 'relay_disconnected', message: 'The runtime API relay lost its connection to the daemon' });
    return;
  }
  const id = nextId++;
  const line = JSON.stringify({
    id,
    method: req.method,
    path: req.url,
    headers: flatHeaders(req.headers),
    body: body.toString('base64'),
  }) + '\n';
  const timer = setTimeout(() => {
    pending.delete(id);
    sendJson(res, 504, { error: 'relay_timeout', message: `The daemon did not answer within ${TIMEOUT_MS / 1000} s` });
  }, TIMEOUT_MS);
  pending.set(id, { line, res, timer });
  // The job's client gave up: forget the request so a late answer is dropped quietly.
  res.on('close', () => {
    if (!res.writableEnded) {
      clearTimeout(timer);
      pending.delete(id);
    }
  });
  process.stdout.write(line);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/relay-health') {
    sendJson(res, 200, { ok: true, pending: pending.size, daemon: !daemonGone });
    return;
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    tooLarge(req, res);
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      tooLarge(req, res);
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (size <= MAX_BODY_BYTES) relay(req, res, Buffer.concat(chunks));
  });
});

function tooLarge(req, res) {
  if (!res.headersSent) {
    res.setHeader('connection', 'close');
    sendJson(res, 413, { error: 'payload_too_large', message: `Request bodies are limited to ${MAX_BODY_BYTES} bytes` });
  }
  req.removeAllListeners('data');
  req.resume();
}

function answer(message) {
  const entry = pending.get(message.id);
  if (entry === undefined) return; // timed out, or the client went away
  pending.delete(message.id);
  clearTimeout(entry.timer);
  const status = Number.isInteger(message.status) && message.status >= 100 && message.status <= 599 ? message.status : 502;
  const body = Buffer.from(typeof message.body === 'string' ? message.body : '', message.bodyEncoding === 'base64' ? 'base64' : 'utf8');
  const headers = {};
  if (message.headers && typeof message.headers === 'object') {
    for (const [name, value] of Object.entries(message.headers)) {
      if (typeof value === 'string' && name.toLowerCase() !== 'content-length') headers[name] = value;
    }
  }
  headers['content-length'] = body.length;
  if (!entry.res.headersSent) entry.res.writeHead(status, headers);
  entry.res.end(body);
}

function onLine(text) {
  if (text.trim() === '') return;
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    process.stderr.write(`relay: ignored a line that is not JSON (${text.length} chars)\n`);
    return;
  }
  if (message === null || typeof message !== 'object') return;
  if (message.resync === true) {
    for (const entry of pending.values()) process.stdout.write(entry.line);
    return;
  }
  if (Number.isInteger(message.id)) answer(message);
}

let buffered = [];
let bufferedBytes = 0;
process.stdin.on('data', (chunk) => {
  let start = 0;
  for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
    buffered.push(chunk.subarray(start, nl));
    onLine(Buffer.concat(buffered).toString('utf8'));
    buffered = [];
    bufferedBytes = 0;
    start = nl + 1;
  }
  if (start < chunk.length) {
    buffered.push(chunk.subarray(start));
    bufferedBytes += chunk.length - start;
    if (bufferedBytes > MAX_LINE_BYTES) {
      process.stderr.write('relay: dropped an answer line over the size limit\n');
      buffered = [];
      bufferedBytes = 0;
    }
  }
});
// The daemon closed our stdin for good: nothing will answer any more, so fail fast instead of
// letting every call wait for the timeout.
process.stdin.on('end', () => {
  daemonGone = true;
  for (const [id, entry] of pending) {
    pending.delete(id);
    clearTimeout(entry.timer);
    sendJson(entry.res, 502, { error: 'relay_disconnected', message: 'The runtime API relay lost its connection to the daemon' });
  }
});

// Pending answers die with the job anyway; do not wait for keep-alive connections to drain.
process.on('SIGTERM', () => process.exit(0));

server.listen(PORT, '0.0.0.0', () => {
  process.stdout.write(JSON.stringify({ ready: true, port: PORT }) + '\n');
});
