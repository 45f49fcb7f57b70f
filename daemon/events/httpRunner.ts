/**
 * The program an HTTP-request event runs: a Node.js job on the host with the request in its input, so
 * it is queued, logged, timed out and cancelled like every job, and its answer (status, headers, body
 * up to 1 MiB) becomes the job's output. `{{variables.KEY}}` in the URL, headers and body is filled in
 * by the job itself through the runtime API, so a secret never sits in the stored script or input, and
 * the daemon masks it in the log like any secret. Redirects are not followed: a 3xx is reported with
 * its Location, as are TLS and connection errors, in words.
 */
export const HTTP_RUNNER = String.raw`'use strict';
const cronium = require('cronium');
const MAX_BODY = 1024 * 1024;
const PLACEHOLDER = /\{\{\s*variables\.([A-Za-z0-9_.-]+)\s*\}\}/g;

async function fill(text) {
  if (typeof text !== 'string') return text;
  let out = text;
  for (const key of new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))) {
    const value = await cronium.getVariable(key);
    if (value === null || value === undefined) throw new Error('variable ' + key + ' is not set (used in the request)');
    out = out.replace(new RegExp('\\{\\{\\s*variables\\.' + key.replace(/[.]/g, '\\.') + '\\s*\\}\\}', 'g'), typeof value === 'string' ? value : JSON.stringify(value));
  }
  return out;
}

function words(e, url, timeoutMs) {
  const cause = e && e.cause;
  const code = (cause && cause.code) || (e && e.code) || '';
  if (e && (e.name === 'TimeoutError' || e.name === 'AbortError')) return 'no answer from ' + url.host + ' within ' + timeoutMs + ' ms';
  if (/CERT|SSL|TLS|EPROTO/i.test(code) || /certificate|ssl|tls/i.test(String(cause && cause.message))) {
    return 'TLS error talking to ' + url.host + ': ' + code + (cause && cause.message ? ' (' + cause.message + ')' : '');
  }
  if (code === 'ECONNREFUSED') return 'connection refused by ' + url.host;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'cannot resolve ' + url.hostname;
  return 'request to ' + url.host + ' failed: ' + (code ? code + ' ' : '') + ((cause && cause.message) || (e && e.message) || String(e));
}

(async () => {
  const spec = await cronium.input();
  const method = (spec.method || 'GET').toUpperCase();
  const url = new URL(await fill(spec.url));
  const headers = {};
  for (const [name, value] of Object.entries(spec.headers || {})) headers[name] = await fill(value);
  const body = spec.body === undefined || spec.body === null ? undefined : await fill(spec.body);
  const timeoutMs = spec.timeoutMs || 30000;
  const shown = url.origin + url.pathname;
  const started = Date.now();
  let response;
  try {
    response = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    console.error(words(e, url, timeoutMs));
    process.exit(1);
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.subarray(0, MAX_BODY).toString('utf8');
  const result = {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: text,
    truncated: bytes.length > MAX_BODY,
    durationMs: Date.now() - started,
  };
  await cronium.output(result);
  console.log(method + ' ' + shown + ' -> ' + response.status + ' in ' + result.durationMs + ' ms (' + bytes.length + ' bytes)');
  const expected = spec.expectedStatus;
  const location = response.headers.get('location');
  if (expected !== undefined && expected !== null ? response.status !== expected : response.status >= 300) {
    if (response.status >= 300 && response.status < 400 && location) {
      console.error('redirected to ' + location + ' (status ' + response.status + '); redirects are not followed: point the event at the new URL, or expect status ' + response.status);
    } else {
      console.error('expected status ' + (expected === undefined || expected === null ? '2xx' : expected) + ', got ' + response.status);
    }
    process.exit(1);
  }
})().catch((e) => {
  console.error(e && e.message ? e.message : String(e));
  process.exit(1);
});
`;
