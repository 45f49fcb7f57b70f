import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Largest frames a connection may send, in bytes. */
export interface FrameLimits {
  /** The one frame read before the handshake: `lifecycle/initialize` (a token and a client name). */
  beforeHandshake: number;
  /**
   * Any frame after it. A `jobs/run` of a 10 MiB script (the largest param the daemon takes) can
   * grow to twice that as UTF-8 JSON with escapes, plus its input and env.
   */
  afterHandshake: number;
  /** The header section of a frame (`Content-Length: n\r\n…\r\n\r\n`). */
  header: number;
}

export const FRAME_LIMITS: FrameLimits = { beforeHandshake: 64 * KiB, afterHandshake: 32 * MiB, header: 8 * KiB };

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Reads a connection's bytes before vscode-jsonrpc does and checks each frame's declared
 * Content-Length against a limit, because the library's reader buffers whatever length a header
 * declares. Bytes pass through unchanged on {@link stream}.
 *
 * Before the handshake only the first frame is let through; the socket is paused after it until
 * {@link handshakeDone}, so a client that is not yet trusted can make the daemon hold at most one
 * small frame, and requests pipelined behind `lifecycle/initialize` are checked with the later limit.
 * A frame over its limit stops the guard: nothing more is read and `onRefused` says why.
 */
export class FrameGuard {
  /** What the JSON-RPC reader reads. */
  readonly stream = new PassThrough();
  private partialHeader = Buffer.alloc(0);
  private bodyLeft = 0;
  private frames = 0;
  private trusted = false;
  private stopped = false;
  private held: Buffer | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly onRefused: (reason: string) => void,
    private readonly limits: FrameLimits = FRAME_LIMITS,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.stream.end());
    socket.on('close', () => this.stream.destroy());
  }

  /** The connection is initialized: read on, with the limit for trusted clients. */
  handshakeDone(): void {
    if (this.trusted) return;
    this.trusted = true;
    // Not from inside the reader's callback that is delivering the initialize request.
    setImmediate(() => {
      const held = this.held;
      this.held = undefined;
      if (held !== undefined) this.consume(held);
      if (!this.stopped) this.socket.resume();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.stopped) return;
    if (this.held !== undefined) {
      // Paused sockets emit no data; should one arrive all the same, it keeps its place in line.
      this.held = Buffer.concat([this.held, chunk]);
      return;
    }
    if (this.partialHeader.length === 0) {
      this.consume(chunk);
      return;
    }
    const data = Buffer.concat([this.partialHeader, chunk]);
    this.partialHeader = Buffer.alloc(0);
    this.consume(data);
  }

  private consume(data: Buffer): void {
    let at = 0;
    while (at < data.length && !this.stopped) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, data.length - at);
        this.stream.write(data.subarray(at, at + n));
        this.bodyLeft -= n;
        at += n;
        if (this.bodyLeft === 0) this.frames++;
        continue;
      }
      if (!this.trusted && this.frames > 0) {
        this.held = data.subarray(at);
        this.socket.pause();
        return;
      }
      const end = data.indexOf(HEADER_END, at);
      if (end === -1 || end - at > this.limits.header) {
        if (data.length - at > this.limits.header) {
          this.refuse(`a frame header longer than ${describe(this.limits.header)}`);
          return;
        }
        this.partialHeader = Buffer.from(data.subarray(at));
        return;
      }
      const length = contentLength(data.toString('ascii', at, end));
      const limit = this.trusted ? this.limits.afterHandshake : this.limits.beforeHandshake;
      if (length !== undefined && length < 0) {
        this.refuse(`a frame with a negative Content-Length (${length})`);
        return;
      }
      if (length !== undefined && length > limit) {
        const when = this.trusted ? '(the limit is' : 'before lifecycle/initialize (the limit before it is';
        this.refuse(`a frame of ${length} bytes ${when} ${describe(limit)})`);
        return;
      }
      this.stream.write(data.subarray(at, end + HEADER_END.length));
      at = end + HEADER_END.length;
      if (length === undefined) {
        // No usable Content-Length: the reader answers with a parse error and the session closes.
        this.stopped = true;
        return;
      }
      this.bodyLeft = length;
      if (length === 0) this.frames++;
    }
  }

  private refuse(reason: string): void {
    this.stopped = true;
    this.held = undefined;
    this.partialHeader = Buffer.alloc(0);
    this.socket.pause();
    this.onRefused(reason);
  }
}

/**
 * The Content-Length as vscode-jsonrpc's reader will read it (parseInt of the trimmed value), or
 * undefined where that reader reports an error of its own (no such header, not a number, a line
 * without a colon).
 */
function contentLength(header: string): number | undefined {
  let value: string | undefined;
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) return undefined;
    if (line.slice(0, colon).toLowerCase() === 'content-length') value = line.slice(colon + 1).trim();
  }
  const length = value === undefined ? NaN : parseInt(value, 10);
  return Number.isNaN(length) ? undefined : length;
}

function describe(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`;
}
