import type { Execution, Executor } from '../executors/executor';
import { JobLogWriter } from '../logs/jobLogWriter';
import type { LogHub } from '../logs/logHub';
import type { JobRecord, JobStore } from '../store/jobStore';
import type { LogStore } from '../store/logStore';
import { outcomeOf, type StopReason } from './outcome';

export interface JobRunDeps {
  jobs: JobStore;
  logs: LogStore;
  hub: LogHub;
  killGraceMs: () => number;
  onStatus: (job: JobRecord) => void;
}

/** One claimed job from start to its recorded end. */
export class JobRun {
  readonly writer: JobLogWriter;
  readonly finished: Promise<JobRecord>;
  private execution: Execution | undefined;
  private stopReason: StopReason | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly job: JobRecord,
    private readonly executor: Executor,
    private readonly env: Record<string, string>,
    private readonly deps: JobRunDeps,
  ) {
    this.writer = new JobLogWriter(job.id, deps.logs, deps.hub);
    this.finished = this.run();
  }

  /** Stops the job; the first reason wins. A second call with grace 0 kills at once. */
  stop(reason: StopReason, graceMs = this.deps.killGraceMs()): void {
    this.stopReason ??= reason;
    this.execution?.stop(graceMs);
  }

  private async run(): Promise<JobRecord> {
    const { jobs } = this.deps;
    const job = this.job;
    const execution = this.executor.start(
      {
        jobId: job.id,
        runtime: job.runtime,
        script: job.script,
        scriptName: job.scriptName,
        env: this.env,
        cwd: job.cwd as string,
      },
      {
        onStarted: ({ pid, pidStart }) => {
          jobs.markRunning(job.id, Date.now(), pid, pidStart);
          this.deps.onStatus(jobs.get(job.id) as JobRecord);
        },
        onOutput: (stream, chunk) => this.writer.write(stream, chunk),
      },
    );
    this.execution = execution;
    if (this.stopReason !== undefined) execution.stop(this.deps.killGraceMs());
    if (job.timeoutMs !== null && job.timeoutMs > 0) {
      this.timeoutTimer = setTimeout(() => this.stop('timeout'), job.timeoutMs);
    }
    const result = await execution.done;
    clearTimeout(this.timeoutTimer);
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
