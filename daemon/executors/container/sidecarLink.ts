import type Dockerode from 'dockerode';
import * as z from 'zod/mini';
import { coerceError } from '../../errors';
import type { RuntimeRequestHandler, RuntimeResponse } from '../../runtimeApi/types';
import { ContainerError } from './containerErrors';
import type { ExecutorLogger } from './executorLogger';
import { deliverOutput } from './outputStream';

/** What the relay (runtime-images/sidecar/relay.js) writes on its stdout, one JSON object per line. */
const relayLineSchema = z.union([
  z.object({
    id: z.int(),
    method: z.string(),
    path: z.string(),
    headers: z.record(z.string(), z.string()),
    body: z.string(),
  }),
  z.object({ ready: z.literal(true) }),
]);

/** How long a fresh relay may take to listen before the job is given up. */
const READY_TIMEOUT_MS = 20_000;
/** Keep this much of the relay's stderr to explain a relay that died. */
const STDERR_TAIL_BYTES = 2048;

/**
 * The daemon's end of one sidecar relay: reads request lines from the relay's attached stdout, serves
 * them with the runtime API handler and writes each answer as a line to the relay's stdin.
 */
export class SidecarLink {
  /** Resolves once the relay listens (fresh relays only: a re-attached one said so long ago). */
  readonly ready: Promise<void>;
  /** Resolves when the attach ended: the sidecar stopped or was removed. */
  readonly ended: Promise<void>;
  private stderrTail = '';
  private pendingLine: Buffer[] = [];
  private readyResolve: () => void = () => undefined;

  constructor(
    docker: Dockerode,
    private readonly stream: NodeJS.ReadWriteStream,
    private readonly handler: RuntimeRequestHandler,
    private readonly logger: ExecutorLogger,
    /** For log lines; a warm slot's relay learns its job when the job takes the slot. */
    public jobId: string,
    expectReady: boolean,
  ) {
    // Writes after the sidecar is gone surface as 'error' events; they must not crash the daemon.
    stream.on('error', (e) => this.logger.debug(`sidecar of ${this.jobId}: ${coerceError(e).message}`));
    this.ended = deliverOutput(docker, stream, (name, chunk) =>
      name === 'stdout' ? this.onStdout(chunk) : this.onStderr(chunk),
    ).done.then(() => undefined);
    if (!expectReady) {
      this.ready = Promise.resolve();
      return;
    }
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ContainerError('sidecar_failed', `The runtime API sidecar did not start within ${READY_TIMEOUT_MS / 1000} s`)),
        READY_TIMEOUT_MS,
      );
      this.readyResolve = () => {
        clearTimeout(timer);
        resolve();
      };
      void this.ended.then(() => {
        clearTimeout(timer);
        reject(new ContainerError('sidecar_failed', `The runtime API sidecar stopped before it was ready${this.stderrHint()}`));
      });
    });
    // Nobody may be awaiting it when the job is stopped during setup.
    this.ready.catch(() => undefined);
  }

  /** Asks the relay to send again every request it has not had an answer to (after a daemon restart). */
  resync(): void {
    this.write({ resync: true });
  }

  private onStdout(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.pendingLine.push(chunk.subarray(start, nl));
      const line = Buffer.concat(this.pendingLine).toString('utf8');
      this.pendingLine = [];
      start = nl + 1;
      this.onLine(line);
    }
    if (start < chunk.length) this.pendingLine.push(chunk.subarray(start));
  }

  private onStderr(chunk: Buffer): void {
    this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    this.logger.warn(`sidecar of ${this.jobId}: ${chunk.toString('utf8').trimEnd()}`);
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.logger.warn(`sidecar of ${this.jobId}: ignored a line that is not JSON`);
      return;
    }
    const parsed = relayLineSchema.safeParse(value);
    if (!parsed.success) {
      this.logger.warn(`sidecar of ${this.jobId}: ignored a line that is not a relay message`);
      return;
    }
    const message = parsed.data;
    if ('ready' in message) {
      this.readyResolve();
      return;
    }
    void this.serve(message.id, {
      method: message.method,
      path: message.path,
      headers: message.headers,
      body: Buffer.from(message.body, 'base64'),
    });
  }

  private async serve(id: number, request: Parameters<RuntimeRequestHandler>[0]): Promise<void> {
    let response: RuntimeResponse;
    try {
      response = await this.handler(request);
    } catch (e) {
      // The handler's contract is never to throw; if it does, the job still gets an answer.
      this.logger.error(`runtime API handler failed for ${this.jobId}: ${coerceError(e).message}`);
      response = { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"internal"}' };
    }
    this.write({ id, status: response.status, headers: response.headers, body: response.body });
  }

  private write(message: object): void {
    // The sidecar is gone (the job ended): nobody is waiting for this answer any more.
    if (!this.stream.writable) return;
    this.stream.write(`${JSON.stringify(message)}\n`);
  }

  private stderrHint(): string {
    const tail = this.stderrTail.trim();
    return tail === '' ? '' : `: ${tail.split('\n').slice(-3).join(' | ')}`;
  }
}
