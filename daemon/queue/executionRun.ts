import type { Execution, ExecutionHooks } from '../executors/executor';
import { JobLogWriter } from '../logs/jobLogWriter';
import type { LogFlushGroup } from '../logs/logFlushGroup';
import type { LogHub } from '../logs/logHub';
import { ScopedRedactor, type Redactor } from '../logs/redactor';
import type { TerminalSize } from '../protocol/jobs';
import type { ExecutionRecord, StreamBytes } from '../store/executionRecord';
import type { ExecutionStore } from '../store/executionStore';
import type { LogStore } from '../store/logStore';
import { outcomeOf, type StopReason } from './outcome';

export interface ExecutionRunDeps {
  executions: ExecutionStore;
  logs: LogStore;
  hub: LogHub;
  redactor: Redactor;
  /** Stores every execution's log batches of a turn in one transaction. */
  logFlush: LogFlushGroup;
  killGraceMs: () => number;
  /** The process exists and is recorded running. */
  onStarted: (execution: ExecutionRecord) => void;
  /** Work that must not wait behind the rest of the turn (DispatcherDeps.urgent). */
  urgent?: () => void;
}

export interface ExecutionRunOptions {
  /** The job's timeout, counted from the execution's start. */
  timeoutMs: number | null;
  /** Continue the log after what a previous daemon stored (a re-adopted execution). */
  resume?: { seq: number; bytes: StreamBytes };
  /** The execution's pseudo-terminal, if it is interactive. */
  terminal?: TerminalSize;
}

/**
 * One claimed execution from start to its recorded end. The run exists before its process does: the
 * executor gets {@link hooks} when it starts the execution, or when it re-adopts one after a restart.
 */
export class ExecutionRun {
  readonly writer: JobLogWriter;
  readonly hooks: ExecutionHooks;
  readonly finished: Promise<ExecutionRecord>;
  /** Masks the daemon's secrets and this execution's own token in its log. */
  readonly redactor: ScopedRedactor;
  private execution: Execution | undefined;
  private stopReason: StopReason | undefined;
  private attachExecution!: (execution: Execution) => void;
  private startedAt: number | null;

  constructor(
    readonly record: ExecutionRecord,
    private readonly deps: ExecutionRunDeps,
    private readonly options: ExecutionRunOptions,
  ) {
    this.startedAt = record.startedAt;
    this.redactor = new ScopedRedactor(deps.redactor);
    this.writer = new JobLogWriter(record.id, deps.logs, deps.hub, {
      redactor: this.redactor,
      group: deps.logFlush,
      resume: options.resume,
      eagerPartial: options.terminal !== undefined,
      onProgress: (seq, bytes) => deps.executions.progress(record.id, seq, bytes),
    });
    this.hooks = {
      onStarted: (handle) => {
        const now = Date.now();
        if (deps.executions.markRunning(record, now, handle)) {
          this.startedAt = now;
          deps.onStarted({ ...record, status: 'running', startedAt: now, handle });
        }
      },
      onOutput: (stream, chunk) => {
        deps.urgent?.();
        this.writer.write(stream, chunk);
      },
    };
    const attached = new Promise<Execution>((resolve) => (this.attachExecution = resolve));
    this.finished = attached.then((execution) => this.follow(execution));
  }

  get id(): string {
    return this.record.id;
  }

  get terminal(): TerminalSize | undefined {
    return this.options.terminal;
  }

  /** Hands the run its execution; the run records how it ends. */
  attach(execution: Execution): void {
    this.execution = execution;
    if (this.stopReason !== undefined) execution.stop(this.deps.killGraceMs());
    this.attachExecution(execution);
  }

  /** Stops the execution; the first reason wins. A second call with grace 0 kills at once. */
  stop(reason: StopReason, graceMs = this.deps.killGraceMs()): void {
    this.stopReason ??= reason;
    this.execution?.stop(graceMs);
  }

  /** Writes to an interactive execution's stdin; false when it has none open (not interactive, not started, ended). */
  writeStdin(data: string, eof: boolean): boolean {
    return this.execution?.writeStdin?.(data, eof) ?? false;
  }

  /** True once the executor took the execution (its process may still be starting). */
  get started(): boolean {
    return this.execution !== undefined;
  }

  /** Resizes an interactive execution's terminal; false when it has none (not interactive, not started, ended). */
  resize(size: TerminalSize): boolean {
    return this.execution?.resize?.(size) ?? false;
  }

  private async follow(execution: Execution): Promise<ExecutionRecord> {
    const { timeoutMs } = this.options;
    const timeoutLeft = timeoutMs === null ? null : timeoutMs - (Date.now() - (this.startedAt ?? Date.now()));
    const timer = timeoutLeft === null ? undefined : setTimeout(() => this.stop('timeout'), Math.max(0, timeoutLeft));
    const result = await execution.done;
    clearTimeout(timer);
    const logLines = this.writer.finish();
    const outcome = outcomeOf(result, this.stopReason, timeoutMs);
    this.deps.executions.finish(this.record, { ...outcome, finishedAt: Date.now(), exitCode: result.exitCode, signal: result.signal, logLines });
    return this.deps.executions.get(this.record.id) as ExecutionRecord;
  }
}
