import type { Runtime } from './dto';

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
  /** No event has the given id or name. */
  EventNotFound: 1050,
  /** Another event has that name. */
  EventExists: 1051,
  /** No workflow has the given id or name (or no registered file has that path). */
  WorkflowNotFound: 1060,
  /** The workflow (or the file's text) is invalid; `data.issues` names the nodes. */
  WorkflowInvalid: 1061,
  /** No workflow run has the given id. */
  WorkflowRunNotFound: 1062,
  /** The run cannot do that in its status (cancel an ended run, resume a running or succeeded one). */
  WorkflowRunNotActive: 1063,
  /** A run of the workflow is still going and its overlap policy is `skip`. */
  WorkflowBusy: 1064,
  /** No server has the given name or id. */
  ServerNotFound: 1070,
  /** Another server has that name. */
  ServerExists: 1071,
  /** The server shows a host key that is not the one given to trust (`servers/trust --fingerprint`). */
  HostKeyMismatch: 1072,
  /** The server could not be reached, refused the login, or showed a host key that is not trusted. */
  ServerUnavailable: 1073,
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
  | 'event_not_found'
  | 'event_exists'
  | 'workflow_not_found'
  | 'workflow_invalid'
  | 'workflow_run_not_found'
  | 'workflow_run_not_active'
  | 'workflow_busy'
  | 'server_not_found'
  | 'server_exists'
  | 'host_key_mismatch'
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
  | 'spawn_failed'
  // Kinds of SSH executions that did not run (JobDto.error.kind, TestServerResult.error.kind):
  /** The server's host key is not trusted yet: `fingerprint` and `keyType` say which key it showed. */
  | 'host_key_unknown'
  /** The server showed another key than the trusted one: `trusted` and `fingerprint` name both. */
  | 'host_key_changed'
  | 'ssh_auth_failed'
  | 'ssh_unreachable'
  /** Too many connection failures in a row: jobs are refused until `retryAt`. */
  | 'circuit_open';

/**
 * What the user can do about an error, named by the daemon and worded by each client: the daemon's
 * `message` states a fact ("No job job_x") in no client's syntax, and the CLI turns a hint into a
 * command to type while the extension turns it into a button.
 */
export type ErrorHint =
  /** See which jobs there are: the id given names none (mistyped, or pruned by log retention). */
  | { action: 'list_jobs' }
  /** See which variables there are: the key given names none. */
  | { action: 'list_variables' }
  /** Say which runtime the script needs (one of `runtimes`), or give it a shebang line. */
  | { action: 'name_runtime'; runtimes: Runtime[] }
  /** Run the job on another target; `targets` are those this daemon has besides the one refused. */
  | { action: 'choose_target'; targets: string[] }
  /** Stop the running daemon so that the client starts its own version (another protocol version). */
  | { action: 'restart_daemon' }
  /** Run the job again as an interactive one (a terminal) to type into it. */
  | { action: 'run_interactive' }
  /** See which servers there are: the name given names none. */
  | { action: 'list_servers' }
  /** Check the server's host key, then trust it (the fingerprint it shows now). */
  | { action: 'trust_server'; server: string; fingerprint: string };

/** Every {@link ErrorHint} action, for clients that check a hint they received. */
export const ERROR_HINT_ACTIONS = [
  'list_jobs',
  'list_variables',
  'name_runtime',
  'choose_target',
  'restart_daemon',
  'run_interactive',
  'list_servers',
  'trust_server',
] as const satisfies readonly ErrorHint['action'][];

/** The `data` of every protocol `ResponseError` and the structured error stored on a job. */
export interface ErrorData {
  kind: ErrorKind;
  /** What the user can do about it, when the daemon knows. */
  hint?: ErrorHint;
  /** Validation issues, for `invalid_params`. */
  issues?: { path: string; message: string }[];
  /** Extra context (job id, exit code, signal …). */
  [key: string]: unknown;
}
