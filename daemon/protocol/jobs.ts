import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { JobDto, JobStatus, Runtime, Target } from './dto';
import type { ErrorData } from './errors';

/** Params of {@link RunJobRequest}. */
export interface RunJobParams {
  /** The script's text. It is stored with the job and run from a private copy. */
  content: string;
  /** File name the script came from; its extension and shebang help pick the runtime. */
  fileName?: string;
  /** Explicit runtime; wins over shebang and extension. */
  runtime?: Runtime;
  /** Where to run; default `auto` (`ssh` when `servers` are given). */
  target?: Target;
  /**
   * Run over SSH on these servers (names or ids), one execution each, in parallel; the job ends
   * `succeeded`, `failed` or `partial`.
   */
  servers?: string[];
  /** Extra environment variables for the job. */
  env?: Record<string, string>;
  /** Working directory of the process; default the daemon's home `work/` folder. */
  cwd?: string;
  /** Kill the job after this many milliseconds and record it `timed_out`. */
  timeoutMs?: number;
  /** Display name; default the file name. */
  name?: string;
  /** JSON handed to the script's `cronium.input()`. */
  input?: unknown;
  /** Take the input from the output of this (finished) job instead. */
  inputFromJob?: string;
  /** Container jobs: allow network egress (default off: the job network is internal). */
  network?: boolean;
  /** Container jobs: limits (defaults 512 MiB, 0.5 CPU, 100 processes) and image override. */
  limits?: { memoryMb?: number; cpus?: number; pids?: number };
  image?: string;
  /**
   * Subscribe this connection to the job's log lines before it starts, so no line can be missed
   * (same as calling `logs/subscribe` with `afterSeq: 0`, without the race).
   */
  subscribeLogs?: boolean;
  /**
   * Opt-in: the job's stdin stays open for {@link WriteStdinRequest} (otherwise it is closed, as for
   * scheduled jobs), and the job runs in a pseudo-terminal (on the host, or inside its container), so
   * interactive programs prompt, colour and line-edit as in a terminal; stdout and stderr then arrive
   * merged on `stdout`. Container jobs started this way never take a warm slot.
   */
  interactive?: boolean;
  /** Interactive jobs: the pseudo-terminal's size at start; default 80 × 24. */
  terminalSize?: TerminalSize;
}

/** Size of an interactive job's pseudo-terminal, in character cells. */
export interface TerminalSize {
  columns: number;
  rows: number;
}

/** Result of {@link RunJobRequest}. */
export interface RunJobResult {
  job: JobDto;
  /** Set when `auto` chose a target for a reason the user should know, e.g. no Docker engine. */
  notice?: string;
}

/** Queues a script as a job. */
export const RunJobRequest = new RequestType<RunJobParams, RunJobResult, ErrorData>('jobs/run');

/** Params of {@link GetJobRequest}. */
export interface GetJobParams {
  id: string;
}

/** One job by id; fails with `JobNotFound`. */
export const GetJobRequest = new RequestType<GetJobParams, JobDto, ErrorData>('jobs/get');

/** Params of {@link ListJobsRequest}. */
export interface ListJobsParams {
  /** At most this many jobs, newest first; default 50, at most 1000. */
  limit?: number;
  status?: JobStatus;
}

/** Result of {@link ListJobsRequest}. */
export interface ListJobsResult {
  jobs: JobDto[];
}

/** Jobs, newest first. */
export const ListJobsRequest = new RequestType<ListJobsParams, ListJobsResult, ErrorData>('jobs/list');

/** Params of {@link CancelJobRequest}. */
export interface CancelJobParams {
  id: string;
}

/**
 * Cancels a queued or running job: a running job's whole process group gets SIGTERM, then SIGKILL
 * after the grace period. Resolves with the job once it is recorded `cancelled`.
 */
export const CancelJobRequest = new RequestType<CancelJobParams, JobDto, ErrorData>('jobs/cancel');

/** Runs a job again as a new job: the same script, runtime, target, environment, input and limits. */
export const RerunJobRequest = new RequestType<{ id: string }, RunJobResult, ErrorData>('jobs/rerun');

/** Sends {@link JobStatusChangedNotification} for every job to this connection from now on. */
export const SubscribeJobsRequest = new RequestType<Record<string, never>, void, ErrorData>('jobs/subscribe');

/** A job changed status. Sent to connections that called {@link SubscribeJobsRequest}. */
export const JobStatusChangedNotification = new NotificationType<{ job: JobDto }>('jobs/didChangeStatus');

/** Params of {@link WriteStdinRequest}. */
export interface WriteStdinParams {
  id: string;
  /** Text to write to the job's stdin as UTF-8 (at most 1 MiB); in a pseudo-terminal, as if typed. */
  data: string;
  /** Close stdin after `data`; in a pseudo-terminal the program reads end-of-file (like Ctrl-D). */
  eof?: boolean;
}

/**
 * Writes to the stdin of a running job started with `interactive: true`. Fails with `JobNotFound`, or
 * with `StdinClosed` when the job is not interactive, not running (yet or any more) or its stdin was
 * closed.
 */
export const WriteStdinRequest = new RequestType<WriteStdinParams, void, ErrorData>('jobs/writeStdin');

/** Params of {@link ResizeTerminalRequest}. */
export interface ResizeTerminalParams extends TerminalSize {
  id: string;
}

/**
 * Sets the size of a running interactive job's pseudo-terminal, as a terminal emulator does when its
 * window changes: the program gets SIGWINCH and reads the new size. Fails with `JobNotFound`, or with
 * `NoTerminal` when the job is not interactive or not running.
 */
export const ResizeTerminalRequest = new RequestType<ResizeTerminalParams, void, ErrorData>('jobs/resizeTerminal');
