import { isUtf8 } from 'node:buffer';
import type { LogStream } from '../protocol/dto';
import type { StreamBytes } from '../store/executionRecord';
import type { LogStore, StoredLine, StreamCode } from '../store/logStore';
import { LineSplitter, type SplitLine } from './lineSplitter';
import { streamCode } from './logLines';
import type { LogFlushGroup } from './logFlushGroup';
import type { LineRedactor } from './redactor';

/** Where a writer reports lines once they are stored. */
export interface LogListener {
  stored(jobId: string, lines: readonly StoredLine[]): void;
}

export interface LogWriterLimits {
  /** Flush at once when this many lines are pending. */
  batchLines: number;
  /** Flush at once when this many bytes are pending. */
  batchBytes: number;
  /** Longer lines are cut into `partial` pieces of this many bytes. */
  maxLine: number;
}

export const DEFAULT_LOG_LIMITS: LogWriterLimits = {
  batchLines: 2000,
  batchBytes: 1024 * 1024,
  maxLine: 1024 * 1024,
};

export type { StreamBytes };

export interface LogWriterOptions {
  redactor?: LineRedactor;
  /** Continue a job's log after what a previous daemon stored. */
  resume?: { seq: number; bytes: StreamBytes };
  /**
   * Records progress with the job for every batch, inside the batch's transaction (LogStore.append): what
   * it writes to the store commits with the lines or not at all, so a resume point always matches them.
   */
  onProgress?: (seq: number, bytes: StreamBytes) => void;
  limits?: LogWriterLimits;
  /** Flush with the other writers of this group, in one transaction per turn (default: on its own). */
  group?: LogFlushGroup;
  /** Store a line's start without waiting for its newline (interactive jobs: prompts must show). */
  eagerPartial?: boolean;
}

/**
 * Turns one job's output into numbered lines and stores them in batches.
 *
 * A batch is whatever arrived during one turn of the event loop (flushed by setImmediate), capped by
 * the limits above: a quiet job's line is stored within that turn, a flood fills large batches by
 * itself because the pipe fills while a batch is written. Writes are synchronous (better-sqlite3), so
 * a fast printer simply waits on its pipe: nothing is dropped, memory stays bounded by one batch, and
 * lines reach clients only after they are stored, so a line anyone has seen survives a crash.
 */
export class JobLogWriter {
  private seq = 0;
  private persistedSeq = 0;
  private pending: StoredLine[] = [];
  private pendingBytes = 0;
  private flushScheduled: NodeJS.Immediate | undefined;
  private readonly splitters: Record<StreamCode, LineSplitter>;
  private readonly scratch: SplitLine[] = [];
  private readonly limits: LogWriterLimits;
  private readonly bytes: StreamBytes;
  private pendingStreamBytes: StreamBytes = { stdout: 0, stderr: 0 };

  constructor(
    readonly jobId: string,
    private readonly store: LogStore,
    private readonly listener: LogListener,
    private readonly options: LogWriterOptions = {},
  ) {
    this.limits = options.limits ?? DEFAULT_LOG_LIMITS;
    this.splitters = { 1: new LineSplitter(this.limits.maxLine), 2: new LineSplitter(this.limits.maxLine) };
    this.seq = this.persistedSeq = options.resume?.seq ?? 0;
    this.bytes = { ...(options.resume?.bytes ?? { stdout: 0, stderr: 0 }) };
  }

  /** Bytes of each stream stored so far. */
  get storedBytes(): StreamBytes {
    return { ...this.bytes };
  }

  /** Highest sequence number stored so far. */
  get storedSeq(): number {
    return this.persistedSeq;
  }

  write(stream: LogStream, chunk: Buffer): void {
    const code = streamCode(stream);
    this.splitters[code].push(chunk, this.scratch);
    if (this.options.eagerPartial) this.splitters[code].cut(this.scratch);
    this.take(code);
  }

  /** Stores the rest, including unterminated last lines; returns the number of lines of the job. */
  finish(): number {
    for (const code of [1, 2] as const) {
      this.splitters[code].end(this.scratch);
      this.take(code);
    }
    this.flush();
    return this.seq;
  }

  flush(): void {
    this.storePending()?.();
  }

  /**
   * Stores the pending batch (inside the caller's transaction, when a {@link LogFlushGroup} flushes many
   * writers at once) and returns what tells the listener, to call once the transaction committed: a line
   * reaches clients only after it is stored. Undefined when nothing was pending.
   */
  storePending(): (() => void) | undefined {
    if (this.flushScheduled !== undefined) {
      clearImmediate(this.flushScheduled);
      this.flushScheduled = undefined;
    }
    if (this.pending.length === 0) return undefined;
    const batch = this.pending;
    const streamBytes = this.pendingStreamBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingStreamBytes = { stdout: 0, stderr: 0 };
    const seq = batch[batch.length - 1].seq;
    const bytes = { stdout: this.bytes.stdout + streamBytes.stdout, stderr: this.bytes.stderr + streamBytes.stderr };
    const onProgress = this.options.onProgress;
    this.store.append(this.jobId, batch, onProgress && (() => onProgress(seq, bytes)));
    this.persistedSeq = seq;
    this.bytes.stdout = bytes.stdout;
    this.bytes.stderr = bytes.stderr;
    return () => this.listener.stored(this.jobId, batch);
  }

  private take(code: StreamCode): void {
    const split = this.scratch;
    if (split.length === 0) return;
    const ts = Date.now();
    const redactor = this.options.redactor?.active ? this.options.redactor : undefined;
    const counter = code === 1 ? 'stdout' : 'stderr';
    for (const { data, partial } of split) {
      // Copies either way, so no line pins the pipe's read buffer.
      let stored: string | Buffer = isUtf8(data) ? data.toString('utf8') : Buffer.from(data);
      if (redactor !== undefined) stored = typeof stored === 'string' ? redactor.text(stored) : redactor.bytes(stored);
      this.pending.push({ seq: ++this.seq, stream: code, ts, data: stored, partial });
      this.pendingBytes += data.length;
      this.pendingStreamBytes[counter] += data.length + (partial ? 0 : 1);
    }
    split.length = 0;
    if (this.pending.length >= this.limits.batchLines || this.pendingBytes >= this.limits.batchBytes) {
      this.flush();
    } else if (this.options.group !== undefined) {
      this.options.group.schedule(this);
    } else {
      this.flushScheduled ??= setImmediate(() => {
        this.flushScheduled = undefined;
        this.flush();
      });
    }
  }
}
