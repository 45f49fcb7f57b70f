import type { Execution, ExecutionHooks } from '../executors/executor';
import { JobLogWriter, type StreamBytes } from '../logs/jobLogWriter';
import type { LogHub } from '../logs/logHub';
import type { Redactor } from '../logs/redactor';
import type { JobRecord, JobStore } from '../store/jobStore';
import type { LogStore } from '../store/logStore';
import { outcomeOf, type StopReason } from './outcome';

export interface JobRunDeps {
  jobs: JobStore;
  logs: LogStore;
  hub: LogHub;
  redactor: Redactor;
  killGraceMs: () => number;
  onStatus: (jobId: string) => void;
}

/**
 * One claimed job from start to its recorded end. The run exists before its execution does: the
 * executor gets {@link hooks} when it starts the job, or when it re-adopts one after a restart.
 */
export class JobRun {
  readonly writer: JobLogWriter;
  readonly hooks: ExecutionHooks;
  readonly finished: Promise<JobRecord>;
  private execution: Execution | undefined;
  private stopReason: StopReason | undefined;
  private attachExecution!: (execution: Execution) => void;

  constructor(
    readonly job: JobRecord,
    private readonly deps: JobRunDeps,
    resume?: { seq: number; bytes: StreamBytes },
    interactive = false,
  ) {
    this.writer = new JobLogWriter(job.id, deps.logs, deps.hub, {
      redactor: deps.redactor,
      resume,
      eagerPartial: interactive,
      onProgress: (seq, bytes) => deps.jobs.progress(job.id, seq, bytes),
    });
    this.hooks = {
      onStarted: ({ pid, pidStart, containerId }) => {
        deps.jobs.markRunning(job.id, Date.now(), pid, pidStart, containerId ?? null);
        deps.onStatus(job.id);
      },
      onOutput: (stream, chunk) => this.writer.write(stream, chunk),
    };
    const attached = new Promise<Execution>((resolve) => (this.attachExecution = resolve));
    this.finished = attached.then((execution) => this.follow(execution));
  }

  /** Hands the run its execution; the run records how it ends. */
  attach(execution: Execution): void {
    this.execution = execution;
    if (this.stopReason !== undefined) execution.stop(this.deps.killGraceMs());
    this.attachExecution(execution);
  }

  /** Stops the job; the first reason wins. A second call with grace 0 kills at once. */
  stop(reason: StopReason, graceMs = this.deps.killGraceMs()): void {
    this.stopReason ??= reason;
    this.execution?.stop(graceMs);
  }

  /** Writes to an interactive job's stdin; false when it has none open (not interactive, not started, ended). */
  writeStdin(data: string, eof: boolean): boolean {
    return this.execution?.writeStdin?.(data, eof) ?? false;
  }

  /** True once the executor took the job (its process may still be starting). */
  get started(): boolean {
    return this.execution !== undefined;
  }

  /** Resizes an interactive job's terminal; false when it has none (not interactive, not started, ended). */
  resize(size: { columns: number; rows: number }): boolean {
    return this.execution?.resize?.(size) ?? false;
  }

  private async follow(execution: Execution): Promise<JobRecord> {
    const { jobs } = this.deps;
    const job = this.job;
    const timeoutLeft = job.timeoutMs === null ? null : job.timeoutMs - (Date.now() - (job.startedAt ?? Date.now()));
    const timer = timeoutLeft === null ? undefined : setTimeout(() => this.stop('timeout'), Math.max(0, timeoutLeft));
    const result = await execution.done;
    clearTimeout(timer);
    const logLines = this.writer.finish();
    const outcome = outcomeOf(result, this.stopReason, job.timeoutMs);
    jobs.finish(job.id, {
      ...outcome,
      finishedAt: Date.now(),
      exitCode: result.exitCode,
      signal: result.signal,
      logLines,
    });
    return jobs.get(job.id) as JobRecord;
  }
}
