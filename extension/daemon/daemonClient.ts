import { readFile } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import type { MessageConnection } from 'vscode-jsonrpc';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { InitializeRequest, type InitializeResult } from '../../daemon/protocol/lifecycle';
import { PROTOCOL_VERSION } from '../../daemon/protocol/version';

/** Files of `$CRONIUM_HOME` the extension touches; mirrors daemon/home.ts, which it may not import. */
export function homeFiles(home: string): { socket: string; token: string; logsDir: string; daemonLog: string } {
  const logsDir = join(home, 'logs');
  return { socket: join(home, 'daemon.sock'), token: join(home, 'daemon.token'), logsDir, daemonLog: join(logsDir, 'daemon.log') };
}

/** No daemon listens on the home's socket. */
export class DaemonNotRunningError extends Error {
  constructor(readonly home: string) {
    super(`Cronium daemon is not running (home ${home})`);
    this.name = 'DaemonNotRunningError';
  }

  static is(e: unknown): e is DaemonNotRunningError {
    return e instanceof DaemonNotRunningError;
  }
}

/** Something listens on the socket but did not complete `lifecycle/initialize` in time. */
export class DaemonUnresponsiveError extends Error {
  constructor(readonly home: string, readonly waitedMs: number) {
    super(`Cronium daemon at ${home} did not answer within ${waitedMs / 1000} s — see Cronium: Show Daemon Log, then restart it`);
    this.name = 'DaemonUnresponsiveError';
  }

  static is(e: unknown): e is DaemonUnresponsiveError {
    return e instanceof DaemonUnresponsiveError;
  }
}

/** One initialized JSON-RPC connection to the daemon. */
export interface DaemonClient {
  readonly connection: MessageConnection;
  readonly info: InitializeResult;
  /** Resolves once the socket is closed, by either side. */
  readonly closed: Promise<void>;
  close(): void;
}

/** Connects to the daemon of `home` and initializes; throws {@link DaemonNotRunningError} when nobody listens. */
export async function connectDaemon(home: string, clientName: string, timeoutMs = 5000): Promise<DaemonClient> {
  const files = homeFiles(home);
  const socket = await openSocket(files.socket, timeoutMs).catch((e: unknown) => {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ECONNREFUSED') throw new DaemonNotRunningError(home);
    throw e;
  });
  const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // The daemon may drop the socket at any time; without this listener an 'error' would be thrown in the host.
  socket.on('error', () => undefined);
  connection.listen();
  const close = (): void => {
    connection.dispose();
    socket.destroy();
  };
  try {
    const token = (await readFile(files.token, 'utf8')).trim();
    const info = await withTimeout(
      connection.sendRequest(InitializeRequest, { token, clientName, protocolVersion: PROTOCOL_VERSION }),
      timeoutMs,
      () => new DaemonUnresponsiveError(home, timeoutMs),
    );
    return { connection, info, closed, close };
  } catch (e) {
    const dropped = socket.destroyed;
    close();
    // A daemon that died or closed the socket before answering (a stale socket, a daemon losing the
    // home's lock to another one) is no daemon at all; so is a token file not written yet.
    if (DaemonUnresponsiveError.is(e)) throw e;
    if (dropped || errnoCode(e) === 'ENOENT') throw new DaemonNotRunningError(home);
    throw e;
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

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
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

export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
