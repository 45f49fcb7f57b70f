import { coerceError } from '../errors';
import { isTerminalStatus, type JobStatus } from '../protocol/dto';
import type { ExecutionRecord } from '../store/executionRecord';
import type { ExecutionStore } from '../store/executionStore';
import type { JobRecord, JobStore } from '../store/jobStore';
import type { Variables } from '../variables';
import type { ExecutionTokens } from './executionTokens';
import type { RateLimiter } from './rateLimiter';
import { MAX_BODY_BYTES, type RuntimeRequest, type RuntimeRequestHandler, type RuntimeResponse } from './types';

export interface RuntimeApiDeps {
  tokens: ExecutionTokens;
  jobs: JobStore;
  executions: ExecutionStore;
  variables: Variables;
  limiter: RateLimiter;
  onError: (message: string) => void;
  /** The event a job was started by, as a script sees it in `cronium.event()` (undefined once deleted). */
  eventOf?: (eventId: string) => Record<string, unknown> | undefined;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const ROUTE = /^\/executions\/([^/]+)\/(input|output|condition|context|variables\/([^/]+))$/;

function reply(status: number, body: unknown, headers: Record<string, string> = {}): RuntimeResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** An error answer: `kind` is the machine-readable reason (DESIGN §3); `code` says the same for older helpers. */
function fail(status: number, kind: string, message: string, headers?: Record<string, string>): RuntimeResponse {
  return reply(status, { success: false, error: { code: kind, kind, message } }, headers);
}

/**
 * True while an execution may use its token: until it reaches a terminal status. A token is refused
 * the moment its execution ends, whatever its expiry says, so it cannot read the execution's input,
 * context or (secret) variables afterwards.
 */
export function executionActive(status: JobStatus): boolean {
  return !isTerminalStatus(status);
}

/** `decodeURIComponent`, or undefined for text that is not valid percent-encoding (`%zz`). */
function decodePathPart(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/**
 * The HTTP API behind the script helpers (DESIGN §3): input, output, variables, condition, context.
 * A token is scoped to one execution: it gets 403 on any other, 401 when forged or expired.
 */
export function createRuntimeApiHandler(deps: RuntimeApiDeps): RuntimeRequestHandler {
  return async (request) => {
    try {
      return await route(deps, request);
    } catch (e) {
      deps.onError(`runtime API ${request.method} ${request.path}: ${coerceError(e).stack ?? e}`);
      return fail(500, 'internal', 'Internal error in the Cronium runtime API; see the daemon log');
    }
  };
}

async function route(deps: RuntimeApiDeps, request: RuntimeRequest): Promise<RuntimeResponse> {
  const path = request.path.split('?')[0];
  if (path === '/health' && request.method === 'GET') return reply(200, { status: 'ok' });
  const match = ROUTE.exec(path);
  if (match === null) return fail(404, 'not_found', `No runtime API endpoint ${request.method} ${path}`);
  const [, encodedId, resource, encodedKey] = match;
  const executionId = decodePathPart(encodedId);
  const key = encodedKey === undefined ? undefined : decodePathPart(encodedKey);
  if (executionId === undefined || (encodedKey !== undefined && key === undefined)) {
    return fail(400, 'bad_request', `The path ${path} is not valid percent-encoding (a % must be followed by two hex digits)`);
  }

  const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const claims = await deps.tokens.verify(bearer);
  if (claims === 'missing') return fail(401, 'unauthorized', 'Missing execution token (Authorization: Bearer …)');
  if (claims === 'expired') return fail(401, 'token_expired', 'The execution token has expired: its execution has ended or outlived its timeout');
  if (claims === 'invalid') return fail(401, 'unauthorized', 'Invalid execution token');
  if (claims.executionId !== executionId) {
    return fail(403, 'forbidden', 'This execution token is for another execution');
  }
  // The lookup comes before the rate limit, so an ended execution's calls make no bucket again.
  const execution = deps.executions.get(claims.executionId);
  const job = execution === undefined ? undefined : deps.jobs.get(execution.jobId);
  if (execution === undefined || job === undefined || !executionActive(execution.status)) {
    deps.limiter.forget(claims.executionId);
    const how = execution === undefined || job === undefined ? 'no longer exists' : `has ended (${execution.status})`;
    return fail(401, 'token_expired', `This execution ${how}; its token no longer works`);
  }
  const limit = deps.limiter.take(claims.executionId);
  if (!limit.ok) {
    return fail(429, 'rate_limited', 'Too many runtime API requests', { 'retry-after': String(limit.retryAfterSeconds) });
  }
  // The local listener stops reading at this size already; this holds for every transport.
  if (request.body.length > MAX_BODY_BYTES) return fail(413, 'too_large', 'Bodies are limited to 1 MiB');

  const endpoint = `${request.method} ${key === undefined ? resource : 'variables'}`;
  switch (endpoint) {
    case 'GET input':
      return reply(200, { success: true, data: job.input ?? null });
    case 'GET context':
      return reply(200, { success: true, data: context(job, execution, job.eventId === null ? undefined : deps.eventOf?.(job.eventId)) });
    case 'GET variables': {
      const value = deps.variables.get(key as string);
      if (value === undefined) return fail(404, 'not_found', `No variable ${key}`);
      return reply(200, { success: true, data: { key, value } });
    }
    case 'POST output':
    case 'POST condition':
    case 'PUT variables':
      return write(deps, execution, endpoint, key, request.body);
    default:
      return fail(405, 'method_not_allowed', `${request.method} is not allowed on ${path}`);
  }
}

function write(deps: RuntimeApiDeps, execution: ExecutionRecord, endpoint: string, key: string | undefined, raw: Buffer): RuntimeResponse {
  let body: Record<string, unknown>;
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    return fail(400, 'bad_request', 'The body must be a JSON object');
  }
  if (endpoint === 'POST output') {
    if (!('data' in body)) return fail(400, 'bad_request', 'Expected {"data": …}');
    deps.executions.setOutput(execution.id, body.data);
  } else if (endpoint === 'POST condition') {
    if (typeof body.condition !== 'boolean') return fail(400, 'bad_request', 'Expected {"condition": true|false}');
    deps.executions.setCondition(execution.id, body.condition);
  } else {
    if (!('value' in body)) return fail(400, 'bad_request', 'Expected {"value": …}');
    if (!/^[A-Za-z0-9_.-]{1,200}$/.test(key as string)) return fail(400, 'bad_request', 'Variable names are letters, digits, _ . -');
    deps.variables.set(key as string, body.value);
  }
  return reply(200, { success: true });
}

function context(job: JobRecord, execution: ExecutionRecord, event: Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    executionId: execution.id,
    jobId: job.id,
    attempt: execution.attempt,
    eventId: job.eventId,
    eventName: job.name,
    name: job.name,
    runtime: job.runtime,
    target: execution.target,
    status: execution.status,
    startedAt: execution.startedAt === null ? null : new Date(execution.startedAt).toISOString(),
    timeoutMs: job.timeoutMs,
    // What made the job: manual, schedule, action, workflow or retry; for a schedule, the slot's time.
    source: job.source,
    scheduledFor: job.triggeredAt === null ? null : new Date(job.triggeredAt).toISOString(),
    // The event itself: name, description, tags, type, schedule in words, run count.
    event: event ?? null,
  };
}
