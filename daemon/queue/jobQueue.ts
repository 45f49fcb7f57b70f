import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { CroniumError, coerceError, jobNotFound } from '../errors';
import type { ContainerOptions, ExecutionResult, Executor, RecoveredExecution } from '../executors/executor';
import type { ExecutorRegistry } from '../executors/registry';
import { detectRuntime } from '../executors/runtimes';
import type { Logger } from '../logger';
import type { JobLogState, LogHub } from '../logs/logHub';
import type { Redactor } from '../logs/redactor';
import { isTerminalStatus, RUNTIMES, type JobDto, type JobStatus } from '../protocol/dto';
import { ErrorCodes } from '../protocol/errors';
import type { RunJobParams, TerminalSize } from '../protocol/jobs';
import type { DaemonSettings } from '../protocol/settings';
import { tokenLifetimeSeconds, type ExecutionTokens } from '../runtimeApi/executionTokens';
import type { SecretBox } from '../secrets/secretBox';
import type { JobRecord, JobStore } from '../store/jobStore';
import type { LogStore } from '../store/logStore';
import { toJobDto } from './jobDto';
import { JobRun, type JobRunDeps } from './jobRun';

export interface JobQueueDeps {
  jobs: JobStore;
  logs: LogStore;
  hub: () => LogHub;
  registry: ExecutorRegistry;
  secrets: SecretBox;
  tokens: ExecutionTokens;
  redactor: Redactor;
  settings: () => DaemonSettings;
  workDir: string;
  logger: Logger;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const DEFAULT_TERMINAL: TerminalSize = { columns: 80, rows: 24 };
const DEFAULT_CONTAINER: Omit<ContainerOptions, 'network'> = { memoryBytes: 512 * 1024 * 1024, nanoCpus: 500_000_000, pidsLimit: 100 };

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
  /** Interactive jobs until they end. Kept in memory only: stdin cannot outlive the daemon anyway. */
  private readonly terminals = new Map<string, TerminalSize>();
  private readonly statusListeners: ((jobId: string) => void)[] = [];
  private accepting = true;
  /** Set by daemon.ts once lost jobs are recovered: jobs submitted before wait queued, unclaimed. */
  ready = false;

  constructor(private readonly deps: JobQueueDeps) {}

  /** `listener` hears the id of every job whose status changed; it reads the job when it needs it. */
  onStatus(listener: (jobId: string) => void): void {
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
        `Cannot tell the runtime of ${params.fileName ?? 'this script'} from its file name or its first line`,
        { hint: { action: 'name_runtime', runtimes: [...RUNTIMES] } },
      );
    }
    const input = params.inputFromJob === undefined ? params.input : this.outputOf(params.inputFromJob);
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
      eventId: null,
      input,
      container:
        target === 'container'
          ? {
              image: params.image,
              memoryBytes: params.limits?.memoryMb !== undefined ? params.limits.memoryMb * 1024 * 1024 : DEFAULT_CONTAINER.memoryBytes,
              nanoCpus: params.limits?.cpus !== undefined ? Math.round(params.limits.cpus * 1e9) : DEFAULT_CONTAINER.nanoCpus,
              pidsLimit: params.limits?.pids ?? DEFAULT_CONTAINER.pidsLimit,
              network: params.network ?? false,
            }
          : null,
    });
    if (params.interactive) this.terminals.set(job.id, params.terminalSize ?? DEFAULT_TERMINAL);
    this.emit(job);
    beforeStart?.(job);
    this.pump();
    return { job: this.deps.jobs.get(job.id) as JobRecord, notice };
  }

  /** Submits a finished or running job again, as a new job with the same script and options. */
  async rerun(id: string): Promise<{ job: JobRecord; notice?: string }> {
    const job = this.deps.jobs.get(id);
    if (job === undefined) throw jobNotFound(id);
    const container = job.container;
    return this.submit({
      content: job.script,
      fileName: job.scriptName ?? undefined,
      runtime: job.runtime,
      target: job.requestedTarget,
      env: job.envSealed === null ? undefined : (JSON.parse(this.deps.secrets.open(job.envSealed)) as Record<string, string>),
      cwd: job.cwd ?? undefined,
      timeoutMs: job.timeoutMs ?? undefined,
      name: job.name,
      input: job.input,
      ...(container === null
        ? {}
        : {
            network: container.network,
            image: container.image,
            limits: { memoryMb: container.memoryBytes / 1048576, cpus: container.nanoCpus / 1e9, pids: container.pidsLimit },
          }),
    });
  }

  /** Claims queued jobs while slots are free. */
  pump(): void {
    if (!this.accepting || !this.ready) return;
    const limit = this.deps.settings().concurrency;
    while (this.runs.size < limit) {
      const job = this.deps.jobs.claimNext(Date.now());
      if (job === undefined) return;
      this.emit(job);
      this.start(job);
    }
  }

  /**
   * After a restart: every executor gets the jobs of its target that were claimed or running, and
   * re-adopts, finalizes or gives up each one. Those given up are recorded `failed` (`daemon_lost`).
   */
  async recover(): Promise<void> {
    const active = this.deps.jobs.active();
    for (const kind of this.deps.registry.kinds()) {
      const executor = this.deps.registry.get(kind);
      const lost = active.filter((job) => job.target === kind);
      if (executor.recover === undefined) {
        for (const job of lost) this.lose(job);
        continue;
      }
      const pending = new Map(lost.map((job) => [job.id, new JobRun(job, this.runDeps(), { seq: job.logLines, bytes: job.storedBytes })]));
      let recovered: RecoveredExecution[];
      let failure: string | undefined;
      try {
        recovered = await executor.recover(
          lost.map((job) => ({ jobId: job.id, containerId: job.containerId, pid: job.pid, pidStart: job.pidStart, storedBytes: job.storedBytes })),
          (jobId) => (pending.get(jobId) as JobRun).hooks,
        );
      } catch (e) {
        // E.g. the Docker engine is down: its jobs cannot be found again, so they are given up.
        failure = coerceError(e).message;
        this.deps.logger.warn(`recovering ${kind} jobs failed: ${failure}`);
        recovered = [];
      }
      for (const outcome of recovered) {
        const run = pending.get(outcome.jobId);
        if (run === undefined) continue;
        pending.delete(outcome.jobId);
        if (outcome.state === 'gone') {
          this.lose(run.job);
          continue;
        }
        const execution =
          outcome.state === 'adopted' ? outcome.execution : { done: Promise.resolve<ExecutionResult>(outcome.result), stop: () => undefined };
        this.deps.logger.info(`job ${run.job.id}: ${outcome.state === 'adopted' ? 're-adopted' : 'finished while the daemon was down'}`);
        this.watch(run);
        run.attach(execution);
      }
      for (const run of pending.values()) this.lose(run.job, failure);
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

  /** Writes to the stdin of a running interactive job; `StdinClosed` when it takes no input. */
  writeStdin(id: string, data: string, eof: boolean): void {
    const job = this.deps.jobs.get(id);
    if (job === undefined) throw jobNotFound(id);
    const run = this.runs.get(id);
    if (run === undefined || !this.terminals.has(id) || !run.writeStdin(data, eof)) {
      const why = !this.terminals.has(id) && run !== undefined ? 'was not started interactive' : `takes no input (${job.status})`;
      throw new CroniumError(ErrorCodes.StdinClosed, 'stdin_closed', `Job ${id} ${why}`, {
        jobId: id,
        status: job.status,
        hint: { action: 'run_interactive' },
      });
    }
  }

  /**
   * Sets the size of an interactive job's terminal: at once when it runs, at its start when it waits.
   * `NoTerminal` when the job has none (not interactive, or ended).
   */
  resizeTerminal(id: string, size: TerminalSize): void {
    const job = this.deps.jobs.get(id);
    if (job === undefined) throw jobNotFound(id);
    const interactive = this.terminals.has(id);
    const run = this.runs.get(id);
    const waiting = job.status === 'queued' || (run !== undefined && !run.started);
    if (!interactive || (!waiting && (run === undefined || !run.resize(size)))) {
      const why = interactive || isTerminalStatus(job.status) ? `is not running (${job.status})` : 'was not started interactive';
      throw new CroniumError(ErrorCodes.NoTerminal, 'no_terminal', `Job ${id} has no terminal to resize: it ${why}`, {
        jobId: id,
        status: job.status,
      });
    }
    this.terminals.set(id, size);
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
    if (run !== undefined) return { storedSeq: run.writer.storedSeq, finalSeq: null };
    const job = this.deps.jobs.get(jobId);
    if (job === undefined) return undefined;
    return { storedSeq: job.logLines, finalSeq: isTerminalStatus(job.status) ? job.logLines : null };
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
    const terminal = this.terminals.get(job.id);
    const run = new JobRun(job, this.runDeps(), undefined, terminal !== undefined);
    this.watch(run);
    let executor: Executor;
    try {
      executor = this.deps.registry.get(job.target);
    } catch (e) {
      run.attach(failedStart(coerceError(e)));
      return;
    }
    void this.jobEnv(job).then(
      (env) =>
        run.attach(
          executor.start(
            {
              jobId: job.id,
              runtime: job.runtime,
              script: job.script,
              scriptName: job.scriptName,
              env,
              cwd: job.cwd as string,
              container: job.container ?? undefined,
              interactive: terminal,
            },
            run.hooks,
          ),
        ),
      (e: unknown) => run.attach(failedStart(new Error(`Could not prepare the job's environment: ${coerceError(e).message}`))),
    );
  }

  private watch(run: JobRun): void {
    const id = run.job.id;
    this.runs.set(id, run);
    run.finished.then(
      (final) => this.ended(id, final),
      (e: unknown) => {
        // A bug or a store failure: still never leave the job "running".
        const message = `Internal error: ${coerceError(e).message}`;
        this.deps.logger.error(`job ${id}: ${coerceError(e).stack ?? message}`);
        this.runs.delete(id);
        this.finishWithoutRun(run.job, 'failed', message, { kind: 'internal', message });
        this.pump();
      },
    );
  }

  private runDeps(): JobRunDeps {
    return {
      jobs: this.deps.jobs,
      logs: this.deps.logs,
      hub: this.deps.hub(),
      redactor: this.deps.redactor,
      killGraceMs: () => this.deps.settings().killGraceMs,
      onStatus: (id) => this.emit({ id }),
    };
  }

  private ended(id: string, final: JobRecord): void {
    this.runs.delete(id);
    this.terminals.delete(id);
    this.deps.hub().finished(id);
    this.emit(final);
    this.deps.logger.debug(`job ${id} ${final.status}${final.exitCode !== null ? ` (exit ${final.exitCode})` : ''}`);
    this.pump();
  }

  /** Records a job the daemon lost track of; `why` says why it could not be found again, if it was looked for. */
  private lose(job: JobRecord, why?: string): void {
    const message = why === undefined ? 'The daemon stopped while this job ran' : `The daemon stopped while this job ran, and could not find it again: ${why}`;
    this.deps.logger.warn(`job ${job.id} was ${job.status} when the daemon stopped: recorded failed (daemon_lost)`);
    this.finishWithoutRun(job, 'failed', message, { kind: 'daemon_lost', message });
  }

  private finishWithoutRun(job: JobRecord, status: JobStatus, message: string, error: { kind: string; message: string }): void {
    this.terminals.delete(job.id);
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
    this.emit(job);
  }

  private outputOf(jobId: string): unknown {
    const source = this.deps.jobs.get(jobId);
    if (source === undefined) throw jobNotFound(jobId);
    return source.output ?? null;
  }

  /** The job's own variables plus the CRONIUM_* context, including its execution token. */
  private async jobEnv(job: JobRecord): Promise<Record<string, string>> {
    const own = job.envSealed === null ? {} : (JSON.parse(this.deps.secrets.open(job.envSealed)) as Record<string, string>);
    const token = await this.deps.tokens.issue(
      { executionId: job.id, jobId: job.id, eventId: job.eventId },
      tokenLifetimeSeconds(job.timeoutMs),
    );
    return {
      ...own,
      CRONIUM_JOB_ID: job.id,
      CRONIUM_EXECUTION_ID: job.id,
      CRONIUM_EVENT_ID: job.eventId ?? '',
      CRONIUM_RUNTIME: job.runtime,
      CRONIUM_EXECUTION_TOKEN: token,
    };
  }

  private emit(job: { id: string }): void {
    for (const listener of this.statusListeners) listener(job.id);
  }

  private assertAccepting(): void {
    if (!this.accepting) {
      throw new CroniumError(ErrorCodes.ShuttingDown, 'shutting_down', 'The daemon is shutting down; run the job again once it has restarted');
    }
  }
}

function failedStart(error: Error) {
  return { done: Promise.resolve<ExecutionResult>({ exitCode: null, signal: null, spawnError: error }), stop: () => undefined };
}
