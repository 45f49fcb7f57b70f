import { isUtf8 } from 'node:buffer';
import type { LogStream } from '../protocol/dto';
import type { LogStore, StoredLine, StreamCode } from '../store/logStore';
import { LineSplitter, type SplitLine } from './lineSplitter';
import { streamCode } from './logLines';

/** Where a writer reports lines: live to subscribers first, then once they are persisted. */
export interface LogListener {
  appended(jobId: string, lines: readonly StoredLine[]): void;
  persisted(jobId: string, seq: number): void;
}

export interface LogWriterLimits {
  /** Flush when this many lines are pending. */
  batchLines: number;
  /** Flush when this many bytes are pending. */
  batchBytes: number;
  /** Flush pending lines at the latest after this many milliseconds. */
  flushMs: number;
  /** Longer lines are cut into `partial` pieces of this many bytes. */
  maxLine: number;
}

export const DEFAULT_LOG_LIMITS: LogWriterLimits = {
  batchLines: 2000,
  batchBytes: 1024 * 1024,
  flushMs: 25,
  maxLine: 1024 * 1024,
};

/**
 * Turns one job's output into numbered lines and stores them in batches. Writes are synchronous
 * (better-sqlite3), so while a batch is written the job's pipes are not read and a fast printer
 * simply waits: nothing is dropped and memory stays bounded by one batch.
 */
export class JobLogWriter {
  private seq = 0;
  private persistedSeq = 0;
  private pending: StoredLine[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly splitters: Record<StreamCode, LineSplitter>;
  private readonly scratch: SplitLine[] = [];

  constructor(
    readonly jobId: string,
    private readonly store: LogStore,
    private readonly listener: LogListener,
    private readonly limits: LogWriterLimits = DEFAULT_LOG_LIMITS,
  ) {
    this.splitters = { 1: new LineSplitter(limits.maxLine), 2: new LineSplitter(limits.maxLine) };
  }

  /** Highest sequence number handed out so far. */
  get headSeq(): number {
    return this.seq;
  }

  /** Highest sequence number stored so far. */
  get storedSeq(): number {
    return this.persistedSeq;
  }

  /** Lines handed out but not stored yet, with a sequence number above `seq`. */
  pendingAfter(seq: number): readonly StoredLine[] {
    if (this.pending.length === 0) return [];
    const from = Math.max(0, seq - this.pending[0].seq + 1);
    return from === 0 ? this.pending.slice() : this.pending.slice(from);
  }

  write(stream: LogStream, chunk: Buffer): void {
    const code = streamCode(stream);
    this.splitters[code].push(chunk, this.scratch);
    this.take(code);
  }

  /** Flushes the rest, including unterminated last lines; returns the number of lines of the job. */
  finish(): number {
    for (const code of [1, 2] as const) {
      this.splitters[code].end(this.scratch);
      this.take(code);
    }
    this.flush();
    return this.seq;
  }

  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.store.append(this.jobId, batch);
    this.persistedSeq = batch[batch.length - 1].seq;
    this.listener.persisted(this.jobId, this.persistedSeq);
  }

  private take(code: StreamCode): void {
    const split = this.scratch;
    if (split.length === 0) return;
    const ts = Date.now();
    const lines: StoredLine[] = new Array(split.length);
    for (let i = 0; i < split.length; i++) {
      const { data, partial } = split[i];
      // Copies either way, so no line pins the pipe's read buffer.
      const stored = isUtf8(data) ? data.toString('utf8') : Buffer.from(data);
      lines[i] = { seq: ++this.seq, stream: code, ts, data: stored, partial };
      this.pendingBytes += data.length;
      this.pending.push(lines[i]);
    }
    split.length = 0;
    this.listener.appended(this.jobId, lines);
    if (this.pending.length >= this.limits.batchLines || this.pendingBytes >= this.limits.batchBytes) {
      this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.limits.flushMs);
    }
  }
}
