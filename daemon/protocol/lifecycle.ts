import { RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { ErrorData } from './errors';

/** Params of {@link InitializeRequest}. */
export interface InitializeParams {
  /** Contents of `$CRONIUM_HOME/daemon.token`. */
  token: string;
  /** Shown in the daemon log, e.g. `cronium-cli` or `vscode`. */
  clientName: string;
  /** The {@link PROTOCOL_VERSION} the client was built with. */
  protocolVersion: number;
}

/**
 * What the daemon is doing. It serves its socket from the start, so a client always learns this:
 * - `recovering`: finding again the jobs an earlier daemon left running (a Docker engine slow to answer
 *   can hold this for its setup bound, 60 s by default). Reads and `jobs/run` are answered; new jobs
 *   wait `queued` until it is over.
 * - `ready`: claiming and running jobs.
 * - `stopping`: shutting down; new jobs are refused with `shutting_down`.
 */
export type DaemonLifecycleState = 'recovering' | 'ready' | 'stopping';

/** Result of {@link InitializeRequest}. */
export interface InitializeResult {
  daemonVersion: string;
  protocolVersion: number;
  pid: number;
  home: string;
  /** The daemon's state when it answered; `daemon/status` tells it later. */
  state: DaemonLifecycleState;
}

/**
 * The first request of every connection. Any other first message, a wrong token or another protocol
 * version gets an error and the connection is closed.
 */
export const InitializeRequest = new RequestType<InitializeParams, InitializeResult, ErrorData>('lifecycle/initialize');

/** Asks the daemon to stop: running jobs are cancelled and recorded as such, then the process exits. */
export const ShutdownRequest = new RequestType0<void, ErrorData>('lifecycle/shutdown');

/** Result of {@link DaemonStatusRequest}. */
export interface DaemonStatusResult {
  /** What the daemon is doing: see {@link DaemonLifecycleState}. */
  state: DaemonLifecycleState;
  pid: number;
  daemonVersion: string;
  protocolVersion: number;
  home: string;
  startedAt: string;
  uptimeMs: number;
  runningJobs: number;
  queuedJobs: number;
  concurrency: number;
  clients: number;
  /** Execution targets registered on this daemon, e.g. `['local']`. */
  targets: string[];
  rssBytes: number;
}

/** Health and load of the daemon. */
export const DaemonStatusRequest = new RequestType0<DaemonStatusResult, ErrorData>('daemon/status');
