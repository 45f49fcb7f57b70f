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

/** Where a job runs. `auto` picks a container when a Docker engine answers, else a local process. */
export const TARGETS = ['auto', 'local', 'container'] as const;
/** One of {@link TARGETS}. */
export type Target = (typeof TARGETS)[number];

/** Output stream a log line came from. */
export type LogStream = 'stdout' | 'stderr';

/** Structured reason a job did not succeed. */
export interface JobErrorDto {
  kind: string;
  message: string;
  [key: string]: unknown;
}

/** A job as clients see it. Timestamps are ISO 8601 strings in UTC. */
export interface JobDto {
  id: string;
  name: string;
  runtime: Runtime;
  /** Target the job ran on (`auto` resolved). */
  target: Exclude<Target, 'auto'>;
  /** Target the client asked for. */
  requestedTarget: Target;
  status: JobStatus;
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
  /** Container jobs: image, limits, network and the container's id. */
  container: ContainerDetailsDto | null;
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
