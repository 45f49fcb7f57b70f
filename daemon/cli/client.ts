import { readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import type { MessageConnection } from 'vscode-jsonrpc';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { errnoCode } from '../errors';
import { homePaths } from '../home';
import type { LogLineDto } from '../protocol/dto';
import { InitializeRequest, type InitializeResult } from '../protocol/lifecycle';
import { LogsAppendedNotification, LogsEndedNotification } from '../protocol/logs';
import { PROTOCOL_VERSION } from '../protocol/version';

/** How long an answer that arrived with the connection's close may take to be handled. */
const CLOSED_ANSWER_MS = 100;

/** Raised when no daemon answers on the home's socket and the caller did not ask to start one. */
export class DaemonNotRunningError extends Error {
  constructor(readonly home: string) {
    super(`The Cronium daemon is not running (home ${home}); start it with \`cronium daemon start\``);
    this.name = 'DaemonNotRunningError';
  }

  static is(e: unknown): e is DaemonNotRunningError {
    return e instanceof DaemonNotRunningError;
  }
}

export interface JobLogListener {
  lines(lines: LogLineDto[]): void;
  end(lastSeq: number): void;
}

/** An initialized connection to the daemon, with log notifications routed per job. */
export class DaemonClient {
  private readonly listeners = new Map<string, JobLogListener>();

  private constructor(
    readonly connection: MessageConnection,
    private readonly socket: Socket,
    readonly info: InitializeResult,
  ) {
    connection.onNotification(LogsAppendedNotification, ({ jobId, lines }) => this.listeners.get(jobId)?.lines(lines));
    connection.onNotification(LogsEndedNotification, ({ jobId, lastSeq }) => this.listeners.get(jobId)?.end(lastSeq));
  }

  /** Connects to the daemon of `home` and initializes; throws {@link DaemonNotRunningError} if none answers. */
  static async connect(home: string, clientName: string): Promise<DaemonClient> {
    const paths = homePaths(home);
    const socket = await openSocket(paths.socket).catch((e: unknown) => {
      const code = errnoCode(e);
      if (code === 'ENOENT' || code === 'ECONNREFUSED') throw new DaemonNotRunningError(home);
      throw e;
    });
    const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
    connection.listen();
    // vscode-jsonrpc leaves a request pending for good when the connection closes before the answer:
    // a daemon that died under us, or a socket that a dying daemon's forked child still held. An
    // answer that came just before the close (a refusal) is handled on a later turn: it goes first.
    let onClose = (): void => undefined;
    const closed = new Promise<never>((_, reject) => {
      onClose = () => void setTimeout(() => reject(new DaemonNotRunningError(home)), CLOSED_ANSWER_MS);
      socket.once('close', onClose);
    });
    closed.catch(() => undefined); // our own cleanup below closes it too
    try {
      const token = readFileSync(paths.token, 'utf8').trim();
      const initialize = connection.sendRequest(InitializeRequest, { token, clientName, protocolVersion: PROTOCOL_VERSION });
      const info = await Promise.race([initialize, closed]);
      socket.off('close', onClose);
      return new DaemonClient(connection, socket, info);
    } catch (e) {
      connection.dispose();
      socket.destroy();
      throw e;
    }
  }

  /** Routes `logs/didAppend` and `logs/didEnd` of one job to `listener`. */
  listen(jobId: string, listener: JobLogListener): void {
    this.listeners.set(jobId, listener);
  }

  unlisten(jobId: string): void {
    this.listeners.delete(jobId);
  }

  /** Stops reading from the daemon (backpressure while our own output is full). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Resolves when the daemon closes the connection. */
  closed(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) resolve();
      else this.socket.once('close', () => resolve());
    });
  }

  close(): void {
    this.connection.dispose();
    this.socket.destroy();
  }
}

function openSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
