import { readFile } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { ErrorCodes as JsonRpcErrorCodes, ResponseError, type MessageConnection, type RequestType, type RequestType0 } from 'vscode-jsonrpc';
import { createMessageConnection, StreamMessageReader } from 'vscode-jsonrpc/node';
import type { LogLineDto } from '../protocol/dto';
import { ErrorCodes } from '../protocol/errors';
import { DaemonStatusRequest, InitializeRequest, type DaemonLifecycleState, type InitializeResult } from '../protocol/lifecycle';
import { LogsAppendedNotification, LogsEndedNotification } from '../protocol/logs';
import { PROTOCOL_VERSION } from '../protocol/version';
import { daemonErrorData, DaemonNotRunningError, DaemonUnresponsiveError, ProtocolMismatchError } from './errors';
import { homeFiles } from './homeLayout';
import { SocketMessageWriter } from './socketMessageWriter';

/**
 * How long a connection may take to open and complete `lifecycle/initialize`. The daemon answers it
 * from the moment it serves (recovery of lost jobs runs behind), so only a stuck daemon is this slow.
 */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Default bound of a request; requests that last as long as a job (a cancel's kill) go unbounded. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long an answer that arrived with the connection's close may take to be handled. */
const CLOSED_ANSWER_MS = 100;
/** How long a timed-out request waits for `daemon/status` to tell the daemon's state. */
const STATE_PROBE_MS = 2000;
/** After the socket closed, how long answers already received have to reach their requests. */
const CLOSE_GRACE_MS = 100;

export interface ConnectOptions {
  /** Bound of connect + initialize; default {@link CONNECT_TIMEOUT_MS}. */
  timeoutMs?: number;
}

export interface RequestOptions {
  /** Milliseconds to wait for the answer (default {@link REQUEST_TIMEOUT_MS}); `'unbounded'` waits for ever. */
  timeoutMs?: number | 'unbounded';
}

/** Receives the log notifications of one job (see {@link DaemonClient.listen}). */
export interface JobLogListener {
  lines(lines: LogLineDto[]): void;
  end(lastSeq: number): void;
}

/**
 * One initialized connection to the daemon, for every client (CLI, extension, tests). Requests go
 * through {@link request}, which bounds them and names the daemon's state when it gives up; the raw
 * `connection` is there for notifications.
 */
export class DaemonClient {
  /** Resolves once the socket is closed, by either side. */
  readonly closed: Promise<void>;
  private listeners: Map<string, JobLogListener> | undefined;

  private constructor(
    readonly home: string,
    readonly connection: MessageConnection,
    private readonly socket: Socket,
    /** What the daemon said in `lifecycle/initialize`. */
    readonly info: InitializeResult,
  ) {
    this.closed = new Promise((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once('close', () => resolve());
    });
    // vscode-jsonrpc leaves requests pending when the stream closes; disposing rejects them. Not at
    // once: it hands messages already read to their handlers one per event-loop turn, and the last
    // answers (a shutdown's) often come with the close.
    void this.closed.then(() => setTimeout(() => connection.dispose(), CLOSE_GRACE_MS));
  }

  /**
   * Connects to the daemon of `home` and initializes, within {@link ConnectOptions.timeoutMs}. Throws
   * {@link DaemonNotRunningError} when nobody listens, {@link DaemonUnresponsiveError} when the daemon
   * does not answer in time, {@link ProtocolMismatchError} when it speaks another protocol version.
   */
  static async connect(home: string, clientName: string, options: ConnectOptions = {}): Promise<DaemonClient> {
    const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const files = homeFiles(home);
    const socket = await openSocket(files.socket, timeoutMs).catch((e: unknown) => {
      const code = errnoCode(e);
      if (code === 'ENOENT' || code === 'ECONNREFUSED') throw new DaemonNotRunningError(home);
      if (code === 'ETIMEDOUT') throw new DaemonUnresponsiveError({ home, waitedMs: timeoutMs });
      throw e;
    });
    // The daemon may drop the socket at any time; without this listener an 'error' would be thrown.
    socket.on('error', () => undefined);
    const connection = createMessageConnection(new StreamMessageReader(socket), new SocketMessageWriter(socket));
    connection.listen();
    // vscode-jsonrpc leaves a request pending when the connection closes before the answer: a daemon
    // that died under us, or a socket a dying daemon's forked child still held. That is no daemon, not
    // a slow one. An answer that came just before the close (a refusal) is handled first.
    let onClose = (): void => undefined;
    const closedEarly = new Promise<never>((_, reject) => {
      onClose = () => void setTimeout(() => reject(new DaemonNotRunningError(home)), CLOSED_ANSWER_MS);
      socket.once('close', onClose);
    });
    closedEarly.catch(() => undefined); // our own cleanup below closes it too
    try {
      const token = (await readFile(files.token, 'utf8')).trim();
      const initialize = connection.sendRequest(InitializeRequest, { token, clientName, protocolVersion: PROTOCOL_VERSION });
      const info = await bounded(Promise.race([initialize, closedEarly]), Math.max(0, deadline - Date.now()), () => new DaemonUnresponsiveError({ home, waitedMs: timeoutMs }));
      socket.off('close', onClose);
      return new DaemonClient(home, connection, socket, info);
    } catch (e) {
      const dropped = socket.destroyed;
      connection.dispose();
      socket.destroy();
      if (e instanceof ResponseError && e.code === ErrorCodes.ProtocolMismatch) {
        const theirs = daemonErrorData(e)?.daemonProtocolVersion;
        throw new ProtocolMismatchError(home, typeof theirs === 'number' ? theirs : undefined, PROTOCOL_VERSION);
      }
      if (DaemonUnresponsiveError.is(e)) throw e;
      // A daemon that died or closed the socket before answering (a stale socket, a daemon losing the
      // home's lock to another one) is no daemon at all; so is a token file not written yet.
      if (dropped || errnoCode(e) === 'ENOENT') throw new DaemonNotRunningError(home);
      throw e;
    }
  }

  /**
   * Sends a request and waits at most {@link RequestOptions.timeoutMs} for its answer. On timeout it
   * asks the daemon what it is doing and throws a {@link DaemonUnresponsiveError} that says so.
   */
  request<R, E>(type: RequestType0<R, E>, options?: RequestOptions): Promise<R>;
  request<P, R, E>(type: RequestType<P, R, E>, params: P, options?: RequestOptions): Promise<R>;
  async request<P, R, E>(
    type: RequestType0<R, E> | RequestType<P, R, E>,
    paramsOrOptions?: P | RequestOptions,
    maybeOptions?: RequestOptions,
  ): Promise<R> {
    const takesParams = type.numberOfParams !== 0;
    const options = (takesParams ? maybeOptions : (paramsOrOptions as RequestOptions | undefined)) ?? {};
    const sent = takesParams
      ? this.connection.sendRequest(type as RequestType<P, R, E>, paramsOrOptions as P)
      : this.connection.sendRequest(type as RequestType0<R, E>);
    const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const answered = sent.catch((e: unknown) => {
      if (e instanceof ResponseError && e.code === JsonRpcErrorCodes.PendingResponseRejected) throw new DaemonNotRunningError(this.home, true);
      throw e;
    });
    if (timeoutMs === 'unbounded') return answered;
    const timedOut: unique symbol = Symbol('timed out');
    const answer = await bounded<R | typeof timedOut>(answered, timeoutMs, () => timedOut);
    if (answer !== timedOut) return answer;
    throw new DaemonUnresponsiveError({ home: this.home, waitedMs: timeoutMs, method: type.method, state: await this.stateNow() });
  }

  /** What the daemon says it is doing now; what it said at initialize if it does not say in time. */
  private async stateNow(): Promise<DaemonLifecycleState | undefined> {
    const probe: Promise<DaemonLifecycleState | undefined> = this.connection.sendRequest(DaemonStatusRequest).then((s) => s.state);
    return bounded(probe, STATE_PROBE_MS, () => this.info.state).catch(() => this.info.state);
  }

  /**
   * Routes `logs/didAppend` and `logs/didEnd` of one job to `listener`. The first call takes those two
   * notifications over for this connection (a JSON-RPC connection has one handler per method): a
   * client that handles them itself does not call this.
   */
  listen(jobId: string, listener: JobLogListener): void {
    if (this.listeners === undefined) {
      const listeners = new Map<string, JobLogListener>();
      this.connection.onNotification(LogsAppendedNotification, ({ jobId: id, lines }) => listeners.get(id)?.lines(lines));
      this.connection.onNotification(LogsEndedNotification, ({ jobId: id, lastSeq }) => listeners.get(id)?.end(lastSeq));
      this.listeners = listeners;
    }
    this.listeners.set(jobId, listener);
  }

  unlisten(jobId: string): void {
    this.listeners?.delete(jobId);
  }

  /** Stops reading from the daemon (backpressure while our own output is full). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.connection.dispose();
    this.socket.destroy();
  }
}

function openSocket(path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`connect ${path} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** `promise`, or what `onTimeout` gives (a value, or an Error to reject with) after `ms`. */
function bounded<T>(promise: Promise<T>, ms: number, onTimeout: () => T | Error): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const outcome = onTimeout();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    }, ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
  return undefined;
}
