/**
 * Application error codes of the daemon protocol (band 1000–1999). Every `ResponseError` the daemon
 * returns carries one of these codes and an {@link ErrorData} with a machine-readable `kind`.
 */
export const ErrorCodes = {
  /** The first message of a connection was not `lifecycle/initialize`, or a request came before it. */
  NotInitialized: 1001,
  /** The token in `lifecycle/initialize` did not match `$CRONIUM_HOME/daemon.token`. */
  Unauthorized: 1002,
  /** The client speaks another protocol version. */
  ProtocolMismatch: 1003,
  /** Params failed validation; `data.issues` lists what was wrong. */
  InvalidParams: 1010,
  /** No job has the given id. */
  JobNotFound: 1020,
  /** The job is already finished, so it cannot be cancelled. */
  JobNotActive: 1021,
  /** The job takes no input: it is not interactive, not running, or its stdin was closed. */
  StdinClosed: 1022,
  /** The job has no terminal to resize: it is not interactive, or no longer running. */
  NoTerminal: 1023,
  /** No variable has the given key. */
  VariableNotFound: 1025,
  /** The requested execution target is not available on this daemon. */
  TargetUnavailable: 1030,
  /** The script's runtime could not be determined or its interpreter is missing. */
  RuntimeUnavailable: 1031,
  /** The daemon is shutting down and accepts no new work. */
  ShuttingDown: 1040,
  /** An unexpected failure inside the daemon; details are in the daemon log. */
  Internal: 1999,
} as const;

/** One of the {@link ErrorCodes} values. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Machine-readable reason attached to protocol errors and to failed jobs. */
export type ErrorKind =
  | 'not_initialized'
  | 'unauthorized'
  | 'protocol_mismatch'
  | 'invalid_params'
  /** A frame over the size limit (64 KiB before `lifecycle/initialize`, 32 MiB after); the connection is closed. */
  | 'frame_too_large'
  | 'job_not_found'
  | 'execution_not_found'
  | 'job_not_active'
  | 'stdin_closed'
  | 'no_terminal'
  | 'variable_not_found'
  | 'target_unavailable'
  | 'runtime_unavailable'
  | 'shutting_down'
  | 'internal'
  // Kinds recorded on jobs (JobDto.error.kind):
  | 'exit_code'
  | 'signal'
  | 'timeout'
  | 'cancelled'
  | 'daemon_shutdown'
  | 'daemon_lost'
  | 'spawn_failed';

/** The `data` of every protocol `ResponseError` and the structured error stored on a job. */
export interface ErrorData {
  kind: ErrorKind;
  /** Validation issues, for `invalid_params`. */
  issues?: { path: string; message: string }[];
  /** Extra context (job id, exit code, signal …). */
  [key: string]: unknown;
}
