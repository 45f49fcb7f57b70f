import { ResponseError } from 'vscode-jsonrpc';
import type { ErrorData, ErrorHint } from '../protocol/errors';
import { ERROR_HINT_ACTIONS } from '../protocol/errors';
import type { DaemonLifecycleState } from '../protocol/lifecycle';

// Errors of reaching the daemon, shared by every client. Their messages state what happened in no
// client's words; the CLI and the extension add what to do (a command to type, a button).

/** Why a client could not use the daemon: the `kind` of every error below. */
export type ClientErrorKind = 'daemon_not_running' | 'daemon_unresponsive' | 'protocol_mismatch' | 'daemon_start_failed' | 'daemon_did_not_stop';

/** No daemon listens on the home's socket, or the one connected went away (`lost`). */
export class DaemonNotRunningError extends Error {
  readonly kind = 'daemon_not_running';

  constructor(
    readonly home: string,
    readonly lost = false,
  ) {
    super(lost ? `The Cronium daemon closed the connection (home ${home})` : `The Cronium daemon is not running (home ${home})`);
    this.name = 'DaemonNotRunningError';
  }

  static is(e: unknown): e is DaemonNotRunningError {
    return e instanceof DaemonNotRunningError;
  }
}

/**
 * A daemon accepted the connection but did not answer in time: the handshake (`method` undefined) or a
 * request. `state` is what the daemon last said it was doing, when it said anything.
 */
export class DaemonUnresponsiveError extends Error {
  readonly kind = 'daemon_unresponsive';
  readonly home: string;
  readonly waitedMs: number;
  readonly method: string | undefined;
  readonly state: DaemonLifecycleState | undefined;

  constructor(options: { home: string; waitedMs: number; method?: string; state?: DaemonLifecycleState }) {
    const what = options.method === undefined ? '' : ` ${options.method}`;
    const why = options.state === undefined ? '' : `: ${describeDaemonState(options.state)}`;
    super(`The Cronium daemon (home ${options.home}) did not answer${what} within ${seconds(options.waitedMs)}${why}`);
    this.name = 'DaemonUnresponsiveError';
    this.home = options.home;
    this.waitedMs = options.waitedMs;
    this.method = options.method;
    this.state = options.state;
  }

  static is(e: unknown): e is DaemonUnresponsiveError {
    return e instanceof DaemonUnresponsiveError;
  }
}

/** The running daemon speaks another protocol version than this client (one of them was updated). */
export class ProtocolMismatchError extends Error {
  readonly kind = 'protocol_mismatch';

  constructor(
    readonly home: string,
    readonly daemonProtocolVersion: number | undefined,
    readonly clientProtocolVersion: number,
  ) {
    const daemon = daemonProtocolVersion === undefined ? 'another protocol' : `protocol ${daemonProtocolVersion}`;
    super(`The running Cronium daemon (home ${home}) speaks ${daemon}, this client protocol ${clientProtocolVersion}`);
    this.name = 'ProtocolMismatchError';
  }

  static is(e: unknown): e is ProtocolMismatchError {
    return e instanceof ProtocolMismatchError;
  }
}

/** A daemon started in the background could not be run, exited, or never answered. */
export class DaemonStartError extends Error {
  readonly kind = 'daemon_start_failed';

  constructor(
    message: string,
    readonly home: string,
    /** The last lines the daemon wrote to stderr, when it wrote any. */
    readonly stderrTail: string | undefined,
  ) {
    super(message);
    this.name = 'DaemonStartError';
  }

  static is(e: unknown): e is DaemonStartError {
    return e instanceof DaemonStartError;
  }
}

/** The daemon was asked to stop and its process is still there after the bound. */
export class DaemonDidNotStopError extends Error {
  readonly kind = 'daemon_did_not_stop';

  constructor(
    readonly pid: number,
    readonly waitedMs: number,
  ) {
    super(`The Cronium daemon (pid ${pid}) did not stop within ${seconds(waitedMs)}`);
    this.name = 'DaemonDidNotStopError';
  }

  static is(e: unknown): e is DaemonDidNotStopError {
    return e instanceof DaemonDidNotStopError;
  }
}

/** What a state means to a user waiting on the daemon, in no client's words. */
export function describeDaemonState(state: DaemonLifecycleState): string {
  switch (state) {
    case 'recovering':
      return 'it is recovering jobs that were running when it last stopped (a Docker engine slow to answer holds this up)';
    case 'stopping':
      return 'it is shutting down';
    case 'ready':
      return 'it is running but busy';
  }
}

/** The `data` of a daemon `ResponseError`, when `e` is one that carries it. */
export function daemonErrorData(e: unknown): ErrorData | undefined {
  if (!(e instanceof ResponseError)) return undefined;
  const data: unknown = e.data;
  if (typeof data !== 'object' || data === null || typeof (data as { kind?: unknown }).kind !== 'string') return undefined;
  return data as ErrorData;
}

/** The hint of a daemon error, if it has one this client knows. */
export function errorHint(e: unknown): ErrorHint | undefined {
  const hint: unknown = daemonErrorData(e)?.hint;
  if (typeof hint !== 'object' || hint === null) return undefined;
  const action = (hint as { action?: unknown }).action;
  return ERROR_HINT_ACTIONS.some((known) => known === action) ? (hint as ErrorHint) : undefined;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
