import type { JobErrorDto, JobStatus, Target } from '../protocol/dto';

/** Bytes of each stream stored as lines (the original bytes, before redaction). */
export interface StreamBytes {
  stdout: number;
  stderr: number;
}

/** One execution of a job, as the daemon uses it. Times are milliseconds since the epoch. */
export interface ExecutionRecord {
  id: string;
  jobId: string;
  attempt: number;
  serverId: string | null;
  /** As asked (`auto` included) until claimed, then the target it runs on. */
  target: Target;
  status: JobStatus;
  /** The executor's own options (container limits …), as it resolved them at claim time. Opaque here. */
  options: unknown;
  /** The executor's own handle to find the execution again (pid, container id …). Opaque here. */
  handle: unknown;
  /** Why `auto` chose this target, when the user should know (no Docker engine …). */
  notice: string | null;
  createdAt: number;
  claimedAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  lastError: string | null;
  error: JobErrorDto | null;
  logLines: number;
  storedBytes: StreamBytes;
  /** JSON the execution sent with `cronium.output()`; undefined until it does. */
  output: unknown;
  /** What it set with `setCondition`, or null. */
  condition: boolean | null;
}

export type NewExecution = Pick<ExecutionRecord, 'id' | 'jobId' | 'attempt' | 'serverId' | 'target' | 'createdAt'>;

/** The record of an execution just inserted (what the store holds for it, without reading it back). */
export function queuedExecution(execution: NewExecution): ExecutionRecord {
  return {
    ...execution,
    status: 'queued',
    options: null,
    handle: null,
    notice: null,
    claimedAt: null,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    signal: null,
    lastError: null,
    error: null,
    logLines: 0,
    storedBytes: { stdout: 0, stderr: 0 },
    output: undefined,
    condition: null,
  };
}

/** How an execution ended; written once. */
export interface ExecutionOutcome {
  status: JobStatus;
  finishedAt: number;
  exitCode: number | null;
  signal: string | null;
  lastError: string | null;
  error: JobErrorDto | null;
  logLines: number;
}

export interface ExecutionRow {
  id: string;
  job_id: string;
  attempt: number;
  server_id: string | null;
  target: string;
  status: string;
  options_json: string | null;
  handle_json: string | null;
  notice: string | null;
  created_at: number;
  claimed_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  exit_code: number | null;
  signal: string | null;
  last_error: string | null;
  error_json: string | null;
  log_lines: number;
  stdout_bytes: number;
  stderr_bytes: number;
  output_json: string | null;
  condition: number | null;
}

const parseJson = (text: string | null): unknown => (text === null ? undefined : (JSON.parse(text) as unknown));

export function executionFromRow(row: ExecutionRow): ExecutionRecord {
  return {
    id: row.id,
    jobId: row.job_id,
    attempt: row.attempt,
    serverId: row.server_id,
    target: row.target as Target,
    status: row.status as JobStatus,
    options: parseJson(row.options_json) ?? null,
    handle: parseJson(row.handle_json) ?? null,
    notice: row.notice,
    createdAt: row.created_at,
    claimedAt: row.claimed_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    exitCode: row.exit_code,
    signal: row.signal,
    lastError: row.last_error,
    error: row.error_json === null ? null : (JSON.parse(row.error_json) as JobErrorDto),
    logLines: row.log_lines,
    storedBytes: { stdout: row.stdout_bytes, stderr: row.stderr_bytes },
    output: parseJson(row.output_json),
    condition: row.condition === null ? null : row.condition === 1,
  };
}
