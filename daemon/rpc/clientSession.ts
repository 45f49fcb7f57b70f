import { timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  ErrorCodes as JsonRpcErrorCodes,
  Message,
  type MessageConnection,
  type RequestType,
  type RequestType0,
} from 'vscode-jsonrpc';
import { createMessageConnection, StreamMessageReader } from 'vscode-jsonrpc/node';
import { SocketMessageWriter } from '../client/socketMessageWriter';
import type { Logger } from '../logger';
import type { LogClient, LogRef } from '../logs/logHub';
import type { LogLineDto } from '../protocol/dto';
import { ErrorCodes, type ErrorData } from '../protocol/errors';
import { InitializeRequest, type InitializeResult } from '../protocol/lifecycle';
import { LogsAppendedNotification, LogsEndedNotification } from '../protocol/logs';
import { PROTOCOL_VERSION } from '../protocol/version';
import { toResponseError } from './errorMapping';
import { FrameGuard } from './frameGuard';
import { GuardedReader, isWellFormed, type Verdict } from './guardedReader';
import { initializeSchema } from './schemas';

/** Above this many unsent bytes a connection is congested and log lines wait in the store. */
const CONGESTED_BYTES = 8 * 1024 * 1024;
/** A connection that has not initialized by then is closed. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface Parser<P> {
  parse(value: unknown): P;
}

export interface SessionOptions {
  token: string;
  logger: Logger;
  initializeResult: () => InitializeResult;
  onClose: (session: ClientSession) => void;
  /** Runs before a turn's messages leave (the daemon commits the turn's writes there). */
  beforeFlush?: () => void;
}

let nextSessionId = 1;

/**
 * One client connection. Nothing reaches a handler before a valid `lifecycle/initialize`; a wrong
 * first message, token or protocol version gets an error response and the connection is closed.
 */
export class ClientSession implements LogClient {
  readonly id = nextSessionId++;
  readonly connection: MessageConnection;
  clientName = 'unknown';
  /** Receives `jobs/didChangeStatus` for every job. */
  watchesJobs = false;
  /** Receives `workflows/didChangeRun` and `workflows/didChange`. */
  watchesWorkflows = false;
  private initialized = false;
  private closed = false;
  private readonly writer: SocketMessageWriter;
  private readonly frames: FrameGuard;
  private readonly handshakeTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly options: SessionOptions,
  ) {
    this.frames = new FrameGuard(socket, (reason) => {
      options.logger.warn(`client ${this.id} (${this.clientName}) refused: ${reason}`);
      this.reject(null, JsonRpcErrorCodes.InvalidRequest, `Refused ${reason}`, true, 'frame_too_large');
    });
    const reader = new StreamMessageReader(this.frames.stream);
    this.writer = new SocketMessageWriter(socket, options.beforeFlush);
    reader.onError((e) => this.reject(null, JsonRpcErrorCodes.ParseError, `Parse error: ${e.message}`, true));
    const guarded = new GuardedReader(reader, (m) => this.inspect(m));
    this.connection = createMessageConnection(guarded, this.writer, {
      error: (m) => options.logger.debug(`client ${this.id}: ${m}`),
      warn: (m) => options.logger.debug(`client ${this.id}: ${m}`),
      info: () => undefined,
      log: () => undefined,
    });
    this.connection.onRequest(InitializeRequest, () => options.initializeResult());
    this.connection.onClose(() => this.close());
    socket.on('error', (e) => options.logger.debug(`client ${this.id} socket: ${e.message}`));
    socket.on('close', () => this.close());
    this.handshakeTimer = setTimeout(() => {
      if (!this.initialized) this.reject(null, ErrorCodes.NotInitialized, 'No lifecycle/initialize within 10 s', true);
    }, HANDSHAKE_TIMEOUT_MS);
    this.handshakeTimer.unref();
    this.connection.listen();
  }

  /** Registers a request handler that validates its params first and maps every error once. */
  handle<P, R>(type: RequestType<P, R, ErrorData>, schema: Parser<P>, fn: (params: P) => R | Promise<R>): void {
    this.connection.onRequest(type, async (raw: unknown) => {
      try {
        return await fn(schema.parse(raw));
      } catch (e) {
        throw toResponseError(e, type.method, this.options.logger);
      }
    });
  }

  handle0<R>(type: RequestType0<R, ErrorData>, fn: () => R | Promise<R>): void {
    this.connection.onRequest(type, async () => {
      try {
        return await fn();
      } catch (e) {
        throw toResponseError(e, type.method, this.options.logger);
      }
    });
  }

  sendLines(log: LogRef, lines: LogLineDto[]): void {
    if (!this.closed) void this.connection.sendNotification(LogsAppendedNotification, { ...log, lines }).catch(() => undefined);
  }

  sendEnd(log: LogRef, lastSeq: number): void {
    if (!this.closed) void this.connection.sendNotification(LogsEndedNotification, { ...log, lastSeq }).catch(() => undefined);
  }

  congested(): boolean {
    return this.closed || this.socket.writableLength > CONGESTED_BYTES;
  }

  onceDrained(callback: () => void): void {
    if (!this.closed) this.socket.once('drain', callback);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.handshakeTimer);
    this.connection.dispose();
    this.socket.destroy();
    this.options.onClose(this);
  }

  /** Closes after what was already written has been sent (responses to the last requests). */
  async end(): Promise<void> {
    if (this.closed) return;
    // The writer encodes asynchronously: let queued responses reach the socket first.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => {
      const force = setTimeout(resolve, 1000);
      this.socket.end(() => {
        clearTimeout(force);
        resolve();
      });
    });
    this.close();
  }

  private inspect(message: Message): Verdict {
    if (!isWellFormed(message)) {
      const id = idOf(message);
      this.reject(id, JsonRpcErrorCodes.InvalidRequest, 'Invalid request: not a JSON-RPC 2.0 message', !this.initialized);
      return 'drop';
    }
    if (this.initialized) return 'pass';
    if (Message.isRequest(message) && message.method === InitializeRequest.method) {
      return this.checkInitialize(message.id, message.params);
    }
    const id = Message.isRequest(message) ? message.id : null;
    this.reject(id, ErrorCodes.NotInitialized, 'The first request must be lifecycle/initialize', true, 'not_initialized');
    return 'drop';
  }

  private checkInitialize(id: number | string | null, raw: unknown): Verdict {
    const parsed = initializeSchema.safeParse(raw);
    if (!parsed.success) {
      this.reject(id, ErrorCodes.InvalidParams, 'Invalid lifecycle/initialize params', true, 'invalid_params');
      return 'drop';
    }
    const { token, clientName, protocolVersion } = parsed.data;
    if (!sameSecret(token, this.options.token)) {
      this.options.logger.warn(`client ${this.id} (${clientName}) refused: wrong token`);
      this.reject(id, ErrorCodes.Unauthorized, 'Wrong daemon token; read it from $CRONIUM_HOME/daemon.token', true, 'unauthorized');
      return 'drop';
    }
    if (protocolVersion !== PROTOCOL_VERSION) {
      this.reject(
        id,
        ErrorCodes.ProtocolMismatch,
        `The daemon speaks protocol ${PROTOCOL_VERSION}, the client ${protocolVersion}`,
        true,
        'protocol_mismatch',
        { daemonProtocolVersion: PROTOCOL_VERSION, clientProtocolVersion: protocolVersion, hint: { action: 'restart_daemon' } },
      );
      return 'drop';
    }
    this.initialized = true;
    this.clientName = clientName;
    clearTimeout(this.handshakeTimer);
    this.frames.handshakeDone();
    this.options.logger.info(`client ${this.id} connected: ${clientName}`);
    return 'pass';
  }

  /** Answers a message the dispatcher never sees; closes the connection after the answer is written. */
  private reject(
    id: number | string | null,
    code: number,
    message: string,
    closeAfter: boolean,
    kind?: ErrorData['kind'],
    extra: Record<string, unknown> = {},
  ): void {
    if (this.closed) return;
    const error = kind === undefined ? { code, message } : { code, message, data: { kind, ...extra } };
    void this.writer
      .write({ jsonrpc: '2.0', id, error } as Message)
      .catch(() => undefined)
      .finally(() => {
        if (closeAfter) this.socket.end(() => this.close());
      });
  }
}

function idOf(message: unknown): number | string | null {
  if (typeof message === 'object' && message !== null && 'id' in message) {
    const id = (message as { id: unknown }).id;
    if (typeof id === 'number' || typeof id === 'string') return id;
  }
  return null;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
