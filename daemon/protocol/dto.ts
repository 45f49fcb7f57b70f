/** Lifecycle states of a job, shared by SQL, protocol, CLI output and logs. */
export const JOB_STATUSES = [
  'queued',
  'claimed',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'partial',
] as const;

/** One of {@link JOB_STATUSES}. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses after which a job never changes again. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'partial'];

/** True when a job in this status will not change any more. */
export function isTerminalStatus(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Script languages the daemon runs. */
export const RUNTIMES = ['bash', 'python', 'node'] as const;
/** One of {@link RUNTIMES}. */
export type Runtime = (typeof RUNTIMES)[number];

/**
 * Where a job runs, as a user picks it without naming servers. `auto` picks a container when a Docker
 * engine answers, else a local process.
 */
export const TARGETS = ['auto', 'local', 'container'] as const;
/** One of {@link TARGETS}, or `ssh`: the servers a job names (`RunJobParams.servers`), one execution each. */
export type Target = (typeof TARGETS)[number] | 'ssh';

/** Output stream a log line came from. */
export type LogStream = 'stdout' | 'stderr';

/** Structured reason a job did not succeed. */
export interface JobErrorDto {
  kind: string;
  message: string;
  [key: string]: unknown;
}

/** What made a job: a user (`jobs/run`, the editor), a schedule, a workflow step, an action, or a retry. */
export const JOB_SOURCES = ['manual', 'schedule', 'workflow', 'action', 'retry'] as const;
/** One of {@link JOB_SOURCES}. */
export type JobSource = (typeof JOB_SOURCES)[number];

/**
 * One execution of a job: one per server of a multi-server run, one per retry attempt. Each has its own
 * status, exit code, timestamps, log, runtime API token and target. Timestamps are ISO 8601 in UTC.
 */
export interface ExecutionDto {
  id: string;
  jobId: string;
  /** 1 for the first try, then one more per retry. */
  attempt: number;
  /** The server of a multi-server run, else null. */
  serverId: string | null;
  /** `auto` until the execution is claimed, then the target it runs on. */
  target: Target;
  status: JobStatus;
  createdAt: string;
  claimedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  exitCode: number | null;
  signal: string | null;
  lastError: string | null;
  error: JobErrorDto | null;
  /** Number of log lines stored so far (the highest sequence number of this execution's log). */
  logLines: number;
  /** What it sent with `cronium.output()`; null until it does. */
  output: unknown;
  /** What it set with `setCondition`, or null. */
  condition: boolean | null;
  /** Why `auto` chose this target, when the user should know (e.g. no Docker engine answered). */
  notice: string | null;
  /** The executor's own options as it resolved them (container: image, limits, network), or null. */
  options: Record<string, unknown> | null;
  /** How the executor finds it again (local: `pid`; container: `containerId`), or null before it started. */
  handle: Record<string, unknown> | null;
}

/**
 * A job as clients see it: what was asked for, its executions, and a summary. The summary fields
 * (`exitCode` … `container`) are those of its latest execution; `status` is derived from all of them
 * (`partial` when some servers failed). Timestamps are ISO 8601 strings in UTC.
 */
export interface JobDto {
  id: string;
  name: string;
  /** SHA-256 (hex) of the script the job ran; null for jobs from before it was kept. */
  scriptSha256: string | null;
  runtime: Runtime;
  /** Target of the latest execution: `auto` while it waits to be claimed, then the one it runs on. */
  target: Target;
  /** Target the client asked for. */
  requestedTarget: Target;
  status: JobStatus;
  source: JobSource;
  eventId: string | null;
  cwd: string | null;
  timeoutMs: number | null;
  createdAt: string;
  claimedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** Wall time from start to finish, in milliseconds. */
  durationMs: number | null;
  exitCode: number | null;
  /** Signal that ended the process, such as `SIGKILL`. */
  signal: string | null;
  pid: number | null;
  /** Human-readable reason for a failure, cancellation or timeout. */
  lastError: string | null;
  error: JobErrorDto | null;
  /** Number of log lines stored so far (the highest sequence number). */
  logLines: number;
  /** Names of the environment variables given to the job (values are never sent back). */
  envKeys: string[];
  /** What `cronium.input()` returns in the job. */
  input: unknown;
  /** What the job sent with `cronium.output()`; null until it does. */
  output: unknown;
  /** What the job set with `setCondition`, or null. */
  condition: boolean | null;
  /** Why `auto` chose the target, when the user should know. */
  notice: string | null;
  /** Container jobs: image, limits, network and the container's id. */
  container: ContainerDetailsDto | null;
  /** Every execution, oldest first. */
  executions: ExecutionDto[];
}

/** How a container job runs. */
export interface ContainerDetailsDto {
  image: string | null;
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
  network: boolean;
  containerId: string | null;
}

/**
 * One line of a job's output. `seq` starts at 1 and has no gaps within a job. A line longer than the
 * daemon's chunk limit, or the last line of a stream without a newline, has `partial: true`: the
 * next line of the same stream continues it.
 */
export interface LogLineDto {
  seq: number;
  stream: LogStream;
  /** Milliseconds since the epoch when the daemon read the line. */
  ts: number;
  /** The line without its newline, decoded as UTF-8 (invalid bytes become U+FFFD). */
  text: string;
  /** Present when the line is not valid UTF-8: the exact bytes, base64-encoded. */
  raw?: string;
  partial?: boolean;
}
