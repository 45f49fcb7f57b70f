import { createConnection, type Socket } from 'node:net';

/** A bare socket to the daemon, to send bytes no well-behaved client would. */
export class RawSocket {
  private buffer = Buffer.alloc(0);
  private closedFlag = false;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => (this.buffer = Buffer.concat([this.buffer, d])));
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedFlag = true;
        resolve();
      }),
    );
    socket.on('error', () => undefined);
  }

  static connect(path: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path, () => resolve(new RawSocket(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Sends a body with a correct Content-Length header. */
  sendFramed(body: string): void {
    this.socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  sendRaw(bytes: string): void {
    this.socket.write(bytes);
  }

  /** Writes bytes and waits until the kernel took them; false when the connection failed first. */
  sendBytes(bytes: Buffer): Promise<boolean> {
    if (this.closedFlag || this.socket.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onClose = () => resolve(false);
      this.socket.once('close', onClose);
      this.socket.write(bytes, (e) => {
        this.socket.off('close', onClose);
        resolve(e === undefined || e === null);
      });
    });
  }

  /** Waits for the next framed JSON message from the daemon. */
  async nextMessage(timeoutMs = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd !== -1) {
        const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString())?.[1]);
        const start = headerEnd + 4;
        if (this.buffer.length >= start + length) {
          const body = this.buffer.subarray(start, start + length).toString();
          this.buffer = this.buffer.subarray(start + length);
          return JSON.parse(body) as Record<string, unknown>;
        }
      }
      if (Date.now() > deadline) throw new Error('no message from the daemon');
      if (this.closedFlag && headerEnd === -1) throw new Error('connection closed without a message');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}
