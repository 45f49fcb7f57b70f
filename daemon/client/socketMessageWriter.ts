import type { Socket } from 'node:net';
import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc';

/**
 * A JSON-RPC message writer for a socket that holds the socket corked for the rest of the turn, so the
 * responses and notifications written in one turn leave in one system call instead of two per message
 * (header, then body, as vscode-jsonrpc's stream writer does). Messages keep their order: each is
 * written synchronously, in the order `write` is called.
 *
 * `beforeFlush` runs just before the turn's messages leave. The daemon commits the turn's database
 * writes there, so no client hears of a state before it is stored.
 */
export class SocketMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private corked = false;

  constructor(
    private readonly socket: Socket,
    private readonly beforeFlush: () => void = () => undefined,
  ) {
    super();
    socket.on('error', (e) => this.fireError(e));
    socket.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) return Promise.reject(new Error('The connection is closed'));
    const body = Buffer.from(JSON.stringify(msg), 'utf8');
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => this.flush());
    }
    this.socket.write(`Content-Length: ${body.byteLength}\r\n\r\n`, 'ascii');
    this.socket.write(body);
    return Promise.resolve();
  }

  /** Sends what this turn wrote now (the turn's end does it otherwise). */
  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    try {
      this.beforeFlush();
    } finally {
      this.socket.uncork();
    }
  }

  end(): void {
    this.flush();
    this.socket.end();
  }
}
