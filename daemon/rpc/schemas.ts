import { isAbsolute } from 'node:path';
// zod/mini: the same validation with a tree-shakable API; full zod adds ~11 MiB to the daemon's RSS.
import * as z from 'zod/mini';
import { $ZodError } from 'zod/v4/core';
import en from 'zod/v4/locales/en.js';
import { JOB_STATUSES, RUNTIMES, TARGETS } from '../protocol/dto';
import { CATCH_UP_POLICIES, EVENT_STATUSES, OVERLAP_POLICIES } from '../protocol/events';

z.config(en());

const DAY_MS = 24 * 60 * 60 * 1000;
const MiB = 1024 * 1024;
/** Input and variable values are stored and served whole, so each is bounded as JSON text. */
const MAX_VALUE_JSON_BYTES = MiB;
/** A job's own environment is stored with the job; exec takes little more anyway (argv and env share ~2 MiB on Linux). */
const MAX_ENV_ENTRIES = 1000;
const MAX_ENV_BYTES = MiB;

/** Size of a value as JSON text (it came from JSON, so it always serializes). */
function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null');
}

function envBytes(env: Record<string, string>): number {
  let total = 0;
  for (const [name, value] of Object.entries(env)) total += Buffer.byteLength(name) + Buffer.byteLength(value);
  return total;
}

const boundedValue = (message: string) => z.unknown().check(z.refine((v) => jsonBytes(v) <= MAX_VALUE_JSON_BYTES, message));
const jobId = z.string().check(z.regex(/^job_[a-z0-9]{12}$/, 'is not a job id (job_ and 12 letters or digits)'));
const executionId = z.string().check(z.regex(/^exe_[a-z0-9]{12}$/, 'is not an execution id (exe_ and 12 letters or digits)'));
const count = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));
const terminalSize = z.strictObject({ columns: count(1, 1000), rows: count(1, 1000) });

export const initializeSchema = z.object({
  token: z.string().check(z.minLength(1), z.maxLength(1024)),
  clientName: z.string().check(z.minLength(1), z.maxLength(200)),
  protocolVersion: z.int(),
});

const serverRef = z.string().check(z.minLength(1), z.maxLength(200));
const serverRefs = z.array(serverRef).check(z.minLength(1), z.maxLength(100));

export const runJobSchema = z.strictObject({
  servers: z.optional(serverRefs),
  content: z.string().check(z.maxLength(10 * MiB, 'scripts are limited to 10 MiB')),
  fileName: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))),
  runtime: z.optional(z.enum(RUNTIMES)),
  target: z.optional(z.enum([...TARGETS, 'ssh'])),
  env: z.optional(
    z
      .record(
        z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and _')),
        z.string().check(z.maxLength(MAX_ENV_BYTES)),
      )
      .check(
        z.refine((env) => Object.keys(env).length <= MAX_ENV_ENTRIES, `env is limited to ${MAX_ENV_ENTRIES} variables`),
        z.refine((env) => envBytes(env) <= MAX_ENV_BYTES, 'env is limited to 1 MiB in total (names and values)'),
      ),
  ),
  cwd: z.optional(z.string().check(z.refine(isAbsolute, 'must be an absolute path'))),
  timeoutMs: z.optional(count(1, 7 * DAY_MS)),
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  subscribeLogs: z.optional(z.boolean()),
  input: z.optional(boundedValue('input is limited to 1 MiB of JSON')),
  inputFromJob: z.optional(jobId),
  network: z.optional(z.boolean()),
  limits: z.optional(
    z.strictObject({
      memoryMb: z.optional(count(6, 1024 * 1024)),
      cpus: z.optional(z.number().check(z.positive(), z.maximum(1024))),
      pids: z.optional(count(1, 1_000_000)),
    }),
  ),
  image: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
  interactive: z.optional(z.boolean()),
  terminalSize: z.optional(terminalSize),
});

export const resizeTerminalSchema = z.strictObject({ id: jobId, ...terminalSize.shape });

export const writeStdinSchema = z.strictObject({
  id: jobId,
  data: z.string().check(z.maxLength(MiB, 'stdin writes are limited to 1 MiB')),
  eof: z.optional(z.boolean()),
});

const variableKey = z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,200}$/, 'variable names are letters, digits, _ . - (at most 200)'));

export const getVariableSchema = z.strictObject({ key: variableKey, reveal: z.optional(z.boolean()) });

export const setVariableSchema = z.strictObject({
  key: variableKey,
  value: boundedValue('variable values are limited to 1 MiB of JSON'),
  secret: z.optional(z.boolean()),
  description: z.optional(z.string().check(z.maxLength(1000))),
});

export const deleteVariableSchema = z.strictObject({ key: variableKey });

export const getJobSchema = z.strictObject({ id: jobId });

export const listJobsSchema = z.pipe(
  z.optional(
    z.strictObject({
      limit: z.optional(count(1, 1000)),
      status: z.optional(z.enum(JOB_STATUSES)),
    }),
  ),
  z.transform((p) => p ?? {}),
);

export const emptySchema = z.pipe(
  z.optional(z.strictObject({})),
  z.transform(() => ({}) as Record<string, never>),
);

export const readLogsSchema = z.strictObject({
  jobId,
  executionId: z.optional(executionId),
  afterSeq: z.optional(count(0, Number.MAX_SAFE_INTEGER)),
  limit: z.optional(count(1, 10_000)),
});

export const subscribeLogsSchema = z.strictObject({
  jobId,
  executionId: z.optional(executionId),
  afterSeq: z.optional(count(0, Number.MAX_SAFE_INTEGER)),
});

export const unsubscribeLogsSchema = z.strictObject({ jobId });

const imageName = z.string().check(z.regex(/^[a-z0-9][\w.\-/:@]{0,254}$/, 'is not an image reference such as cronium/bash:latest'));

export const updateSettingsSchema = z.strictObject({
  concurrency: z.optional(count(1, 256)),
  killGraceMs: z.optional(count(0, 10 * 60 * 1000)),
  defaultTimeoutMs: z.optional(count(0, 7 * DAY_MS)),
  logRetentionDays: z.optional(z.number().check(z.minimum(0), z.maximum(36_500))),
  dockerHost: z.optional(z.string().check(z.maxLength(1024))),
  imageBash: z.optional(imageName),
  imagePython: z.optional(imageName),
  imageNode: z.optional(imageName),
  imageSidecar: z.optional(imageName),
  warmContainers: z.optional(z.boolean()),
  jobNice: z.optional(count(0, 19)),
  webhookHost: z.optional(z.string().check(z.minLength(1), z.maxLength(255), z.regex(/^[A-Za-z0-9.:_-]+$/, 'is not a host name or IP address'))),
  webhookPort: z.optional(count(0, 65535)),
  sshPoolSize: z.optional(count(1, 64)),
  sshConnectTimeoutMs: z.optional(count(100, 10 * 60 * 1000)),
  sshKeepaliveMs: z.optional(count(0, 10 * 60 * 1000)),
  sshIdleMs: z.optional(count(0, DAY_MS)),
  sshCircuitResetMs: z.optional(count(100, DAY_MS)),
});

const eventRef = z.string().check(z.minLength(1), z.maxLength(200));
const eventName = z.string().check(
  z.minLength(1),
  z.maxLength(200),
  z.regex(/^[^\s].*[^\s]$|^[^\s]$/, 'must not start or end with a space'),
  z.refine((name) => !/^evt_[a-z0-9]{12}$/.test(name), 'looks like an event id: choose another name'),
);
const envSchema = runJobSchema.shape.env;
const httpRequestSpec = z.strictObject({
  method: z.optional(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])),
  url: z.string().check(
    z.maxLength(8192),
    z.refine((url) => {
      try {
        return ['http:', 'https:'].includes(new URL(url.replace(/\{\{[^}]*\}\}/g, 'x')).protocol);
      } catch {
        return false;
      }
    }, 'must be an http:// or https:// URL'),
  ),
  headers: z.optional(z.record(z.string().check(z.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not a header name')), z.string().check(z.maxLength(64 * 1024)))),
  body: z.optional(z.string().check(z.maxLength(MiB, 'request bodies are limited to 1 MiB'))),
  expectedStatus: z.optional(count(100, 599)),
  timeoutMs: z.optional(count(1, DAY_MS)),
});
const eventFields = {
  http: z.optional(httpRequestSpec),
  description: z.optional(z.string().check(z.maxLength(10_000))),
  tags: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(100))).check(z.maxLength(50))),
  runtime: z.optional(z.enum(RUNTIMES)),
  script: z.optional(z.string().check(z.maxLength(10 * MiB, 'scripts are limited to 10 MiB'))),
  file: z.optional(z.string().check(z.refine(isAbsolute, 'must be an absolute path'))),
  cron: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  timezone: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  every: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  at: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  target: z.optional(z.enum([...TARGETS, 'ssh'])),
  servers: z.optional(serverRefs),
  overlap: z.optional(z.enum(OVERLAP_POLICIES)),
  catchUp: z.optional(z.enum(CATCH_UP_POLICIES)),
  catchUpWindowMs: z.optional(count(1000, 30 * DAY_MS)),
  maxRuns: z.optional(count(1, 1_000_000_000)),
  retries: z.optional(count(0, 100)),
  retryBackoffMs: z.optional(count(0, DAY_MS)),
  retryOn: z.optional(z.array(z.enum(['failed', 'timed_out', 'cancelled'])).check(z.minLength(1))),
  timeoutMs: z.optional(count(1, 7 * DAY_MS)),
  env: envSchema,
  cwd: z.optional(z.string().check(z.refine(isAbsolute, 'must be an absolute path'))),
  network: runJobSchema.shape.network,
  limits: runJobSchema.shape.limits,
  image: runJobSchema.shape.image,
};

export const createEventSchema = z.strictObject({
  name: eventName,
  ...eventFields,
  status: z.optional(z.enum(['active', 'draft'])),
});

export const updateEventSchema = z.strictObject({
  event: eventRef,
  name: z.optional(eventName),
  ...eventFields,
  manual: z.optional(z.boolean()),
  status: z.optional(z.enum(EVENT_STATUSES)),
});

export const previewScheduleSchema = z.strictObject({
  cron: eventFields.cron,
  timezone: eventFields.timezone,
  every: eventFields.every,
  at: eventFields.at,
});

export const eventRefSchema = z.strictObject({ event: eventRef });
export const eventHistorySchema = z.strictObject({ event: eventRef, limit: z.optional(count(1, 1000)) });

/** The error zod throws from `parse`. */
export const ValidationError = $ZodError;
