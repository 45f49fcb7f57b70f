import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { CroniumError, coerceError, jobNotFound } from '../errors';
import type { ExecutorRegistry } from '../executors/registry';
import { detectRuntime } from '../executors/runtimes';
import type { Logger } from '../logger';
import type { JobLogState, LogHub } from '../logs/logHub';
import { isTerminalStatus, type JobDto, type JobStatus } from '../protocol/dto';
import { ErrorCodes } from '../protocol/errors';
import type { RunJobParams } from '../protocol/jobs';
import type { DaemonSettings } from '../protocol/settings';
import type { SecretBox } from '../secrets/secretBox';
import type { JobRecord, JobStore } from '../store/jobStore';
import type { LogStore } from '../store/logStore';
import { toJobDto } from './jobDto';
import { JobRun } from './jobRun';

export interface JobQueueDeps {
  jobs: JobStore;
  logs: LogStore;
  hub: () => LogHub;
  registry: ExecutorRegistry;
  secrets: SecretBox;
  settings: () => DaemonSettings;
  workDir: string;
  logger: Logger;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `job_` and 12 random letters and digits, as in Cronium. */
export function newJobId(): string {
  const bytes = randomBytes(12);
  let id = 'job_';
  for (const b of bytes) id += ID_ALPHABET[b % ID_ALPHABET.length];
  return id;
}

/**
 * Queued jobs wait in SQLite; up to `concurrency` of them are claimed (atomically) and run. The queue
 * is event-driven: it claims on submit and whenever a job ends, and never polls.
 */
export class JobQueue {
  private readonly runs = new Map<string, JobRun>();
  private readonly statusListeners: ((job: JobRecord) => void)[] = [];
  private accepting = true;

  constructor(private readonly deps: JobQueueDeps) {}

  onStatus(listener: (job: JobRecord) => void): void {
    this.statusListeners.push(listener);
  }

  get runningCount(): number {
    return this.runs.size;
  }

  /**
   * Stores a new job as `queued`, lets `beforeStart` see it (to subscribe a client to its logs), then
   * starts it if a slot is free.
   */
  async submit(
    params: RunJobParams,
    beforeStart?: (job: JobRecord) => void,
  ): Promise<{ job: JobRecord; notice?: string }> {
    this.assertAccepting();
    const runtime = detectRuntime({ explicit: params.runtime, fileName: params.fileName, content: params.content });
    if (runtime === undefined) {
      throw new CroniumError(
        ErrorCodes.RuntimeUnavailable,
        'runtime_unavailable',
        `Cannot tell the runtime of ${params.fileName ?? 'this script'}; pass --runtime bash|python|node or start it with a shebang`,
      );
    }
    const { target, notice } = await this.deps.registry.resolve(params.target ?? 'auto');
    this.assertAccepting();
    const env = params.env ?? {};
    const timeoutMs = params.timeoutMs ?? (this.deps.settings().defaultTimeoutMs || null);
    const job = this.deps.jobs.insert({
      id: newJobId(),
      name: params.name ?? (params.fileName ? basename(params.fileName) : `${runtime} script`),
      runtime,
      target,
      requestedTarget: params.target ?? 'auto',
      script: params.content,
      scriptName: params.fileName ?? null,
      cwd: params.cwd ?? this.deps.workDir,
      envSealed: Object.keys(env).length > 0 ? this.deps.secrets.seal(JSON.stringify(env)) : null,
      envKeys: Object.keys(env),
      timeoutMs,
      createdAt: Date.now(),
    });
    this.emit(job);
    beforeStart?.(job);
    this.pump();
    return { job: this.deps.jobs.get(job.id) as JobRecord, notice };
  }

  /** Claims queued jobs while slots are free. */
  pump(): void {
    if (!this.accepting) return;
    const limit = this.deps.settings().concurrency;
    while (this.runs.size < limit) {
      const job = this.deps.jobs.claimNext(Date.now());
      if (job === undefined) return;
      this.emit(job);
      this.start(job);
    }
  }

  /** Cancels a queued or running job and resolves once it is recorded `cancelled`. */
  async cancel(id: string): Promise<JobRecord> {
    const job = this.deps.jobs.get(id);
    if (job === undefined) throw jobNotFound(id);
    const run = this.runs.get(id);
    if (run !== undefined) {
      run.stop('cancel');
      return run.finished;
    }
    if (isTerminalStatus(job.status)) {
      throw new CroniumError(ErrorCodes.JobNotActive, 'job_not_active', `Job ${id} already ended (${job.status})`, {
        jobId: id,
        status: job.status,
      });
    }
    const message = 'Cancelled before it started';
    this.finishWithoutRun(job, 'cancelled', message, { kind: 'cancelled', message });
    return this.deps.jobs.get(id) as JobRecord;
  }

  /** The job as clients see it; a running job's line count is the live one. */
  dto(job: JobRecord): JobDto {
    const dto = toJobDto(job);
    const run = this.runs.get(job.id);
    if (run !== undefined) dto.logLines = run.writer.storedSeq;
    return dto;
  }

  /** What the log hub needs to know about a job's lines. */
  logState(jobId: string): JobLogState | undefined {
    const run = this.runs.get(jobId);
    if (run !== undefined) {
      return { storedSeq: run.writer.storedSeq, finalSeq: null };
    }
    const job = this.deps.jobs.get(jobId);
    if (job === undefined) return undefined;
    const done = isTerminalStatus(job.status);
    return { storedSeq: job.logLines, finalSeq: done ? job.logLines : null };
  }

  /** Stops taking jobs and stops every running one (SIGTERM, then SIGKILL after the grace period). */
  async shutdown(): Promise<void> {
    this.accepting = false;
    const running = [...this.runs.values()];
    for (const run of running) run.stop('shutdown');
    await Promise.allSettled(running.map((run) => run.finished));
  }

  /** Second signal: SIGKILL everything now. */
  forceStop(): void {
    this.accepting = false;
    for (const run of this.runs.values()) run.stop('shutdown', 0);
  }

  private start(job: JobRecord): void {
    let env: Record<string, string>;
    try {
      env = this.jobEnv(job);
    } catch (e) {
      const message = `Could not read the job's environment: ${coerceError(e).message}`;
      this.finishWithoutRun(job, 'failed', message, { kind: 'internal', message });
      return;
    }
    const run = new JobRun(job, this.deps.registry.get(job.target), env, {
      jobs: this.deps.jobs,
      logs: this.deps.logs,
      hub: this.deps.hub(),
      killGraceMs: () => this.deps.settings().killGraceMs,
      onStatus: (j) => this.emit(j),
    });
    this.runs.set(job.id, run);
    run.finished.then(
      (final) => this.ended(job.id, final),
      (e: unknown) => {
        // A bug or a store failure: still never leave the job "running".
        const message = `Internal error: ${coerceError(e).message}`;
        this.deps.logger.error(`job ${job.id}: ${coerceError(e).stack ?? message}`);
        this.runs.delete(job.id);
        this.finishWithoutRun(job, 'failed', message, { kind: 'internal', message });
        this.pump();
      },
    );
  }

  private ended(id: string, final: JobRecord): void {
    this.runs.delete(id);
    this.deps.hub().finished(id);
    this.emit(final);
    this.deps.logger.debug(`job ${id} ${final.status}${final.exitCode !== null ? ` (exit ${final.exitCode})` : ''}`);
    this.pump();
  }

  private finishWithoutRun(job: JobRecord, status: JobStatus, message: string, error: { kind: string; message: string }): void {
    this.deps.jobs.finish(job.id, {
      status,
      finishedAt: Date.now(),
      exitCode: null,
      signal: null,
      lastError: message,
      error,
      logLines: this.deps.logs.lastSeq(job.id),
    });
    this.deps.hub().finished(job.id);
    this.emit(this.deps.jobs.get(job.id) as JobRecord);
  }

  private jobEnv(job: JobRecord): Record<string, string> {
    const own = job.envSealed === null ? {} : (JSON.parse(this.deps.secrets.open(job.envSealed)) as Record<string, string>);
    const inherited: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) inherited[k] = v;
    return { ...inherited, ...own, CRONIUM_JOB_ID: job.id, CRONIUM_EXECUTION_ID: job.id, CRONIUM_RUNTIME: job.runtime };
  }

  private emit(job: JobRecord): void {
    for (const listener of this.statusListeners) listener(job);
  }

  private assertAccepting(): void {
    if (!this.accepting) {
      throw new CroniumError(ErrorCodes.ShuttingDown, 'shutting_down', 'The daemon is shutting down; run the job again once it has restarted');
    }
  }
}
