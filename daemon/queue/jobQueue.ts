import { CroniumError, jobNotFound } from '../errors';
import type { JobLogState } from '../logs/logHub';
import { isTerminalStatus, type JobDto } from '../protocol/dto';
import { ErrorCodes } from '../protocol/errors';
import type { TerminalSize } from '../protocol/jobs';
import type { DaemonSettings } from '../protocol/settings';
import type { ExecutionRecord } from '../store/executionRecord';
import type { JobRecord } from '../store/jobStore';
import { Dispatcher, type DispatcherDeps } from './dispatcher';
import { primaryExecution, toJobDto } from './jobDto';
import type { JobRequest } from './jobRequest';
import { recoverLostExecutions } from './recovery';
import { RunTable } from './runTable';
import { JobSubmission } from './submission';
import { Terminals } from './terminals';

/** What the queue is given: what its dispatcher needs, less what the queue makes itself, plus settings. */
export interface JobQueueDeps extends Omit<DispatcherDeps, 'runs' | 'terminals' | 'concurrency' | 'killGraceMs'> {
  settings: () => DaemonSettings;
  workDir: string;
}

/**
 * The queue: jobs come in through {@link submit} (one kind of request, whoever makes it), wait in
 * SQLite, and up to `concurrency` of their executions run at once. The parts live in their own files:
 * submission.ts (the door), dispatcher.ts (claiming and following), recovery.ts (after a crash),
 * terminals.ts (interactive jobs).
 */
export class JobQueue {
  private readonly runs = new RunTable();
  private readonly terminals: Terminals;
  private readonly submission: JobSubmission;
  private readonly dispatcher: Dispatcher;

  constructor(private readonly deps: JobQueueDeps) {
    this.terminals = new Terminals(deps.jobs, this.runs);
    this.submission = new JobSubmission({
      jobs: deps.jobs,
      registry: deps.registry,
      secrets: deps.secrets,
      bus: deps.bus,
      defaultTimeoutMs: () => deps.settings().defaultTimeoutMs,
      workDir: deps.workDir,
    });
    this.dispatcher = new Dispatcher({
      ...deps,
      runs: this.runs,
      terminals: this.terminals,
      concurrency: () => deps.settings().concurrency,
      killGraceMs: () => deps.settings().killGraceMs,
    });
  }

  get runningCount(): number {
    return this.runs.size;
  }

  /**
   * Stores a new job as `queued`, lets `beforeStart` see it (to subscribe a client to its logs), then
   * claims it if a slot is free. When it is claimed at once, resolves after its target is decided, so
   * the caller can tell the user why `auto` chose the host.
   */
  async submit(request: JobRequest, beforeStart?: (job: JobRecord, execution: ExecutionRecord) => void): Promise<JobRecord> {
    this.assertAccepting();
    await this.submission.admit(request);
    this.assertAccepting();
    // From here on synchronous: the job is interactive and subscribed before anything can claim it.
    const { job, executions } = this.submission.store(request);
    if (request.terminal !== null) this.terminals.open(job.id, request.terminal);
    beforeStart?.(job, executions[0]);
    this.dispatcher.pump();
    await Promise.all(executions.map((execution) => this.dispatcher.whenResolved(execution.id)));
    return this.deps.jobs.get(job.id) as JobRecord;
  }

  /** Submits a job again, as a new job with the same script, target, options, environment and input. */
  async rerun(id: string): Promise<JobRecord> {
    const job = this.deps.jobs.get(id);
    if (job === undefined) throw jobNotFound(id);
    return this.submit({
      source: 'manual',
      script: job.script,
      scriptName: job.scriptName,
      runtime: job.runtime,
      target: job.requestedTarget,
      targetOptions: job.targetOptions,
      name: job.name,
      env: job.envSealed === null ? {} : (JSON.parse(this.deps.secrets.open(job.envSealed)) as Record<string, string>),
      cwd: job.cwd,
      timeoutMs: job.timeoutMs,
      input: job.input,
      eventId: job.eventId,
      workflowRunId: null,
      workflowStepId: null,
      attempt: 1,
      triggeredAt: null,
      terminal: null,
      retries: job.retries,
      // An SSH job goes to the same servers again (those of its first attempts).
      servers: [...new Set(this.deps.jobs.executions(id).flatMap((e) => (e.serverId === null ? [] : [e.serverId])))],
    });
  }

  /** Claims queued executions while slots are free (e.g. after a higher concurrency was set). */
  pump(): void {
    this.dispatcher.pump();
  }

  /** Settles the executions a previous daemon lost (re-adopts, finishes or gives up each). */
  async recover(): Promise<void> {
    await recoverLostExecutions({ ...this.deps, dispatcher: this.dispatcher });
  }

  /** Starts claiming (after recovery): jobs queued before the last stop, and every one from now on. */
  open(): void {
    this.dispatcher.open();
  }

  /** Cancels a queued or running job and resolves once it is recorded `cancelled`. */
  async cancel(id: string): Promise<JobRecord> {
    const job = this.deps.jobs.get(id);
    if (job === undefined) throw jobNotFound(id);
    const running = this.runs.ofJob(id);
    const waiting = this.deps.jobs.executions(id).filter((e) => e.status === 'queued');
    if (running.length === 0 && waiting.length === 0 && isTerminalStatus(job.status)) {
      throw new CroniumError(ErrorCodes.JobNotActive, 'job_not_active', `Job ${id} already ended (${job.status})`, {
        jobId: id,
        status: job.status,
      });
    }
    const message = 'Cancelled before it started';
    for (const execution of waiting) this.dispatcher.finishWithoutRun(execution, 'cancelled', message, { kind: 'cancelled', message });
    for (const run of running) run.stop('cancel');
    await Promise.allSettled(running.map((run) => run.finished));
    return this.deps.jobs.get(id) as JobRecord;
  }

  writeStdin(jobId: string, data: string, eof: boolean): void {
    this.terminals.writeStdin(jobId, data, eof);
  }

  resizeTerminal(jobId: string, size: TerminalSize): void {
    this.terminals.resize(jobId, size);
  }

  /** The job as clients see it; a running execution's line count is the live one. */
  dto(job: JobRecord): JobDto {
    return toJobDto(job, this.deps.jobs.executions(job.id), (executionId) => this.runs.get(executionId)?.writer.storedSeq);
  }

  /** Several jobs as clients see them (a page of `jobs/list`): their executions in one query. */
  dtos(jobs: readonly JobRecord[]): JobDto[] {
    const executions = this.deps.jobs.executionsOfJobs(jobs.map((job) => job.id));
    const live = (executionId: string) => this.runs.get(executionId)?.writer.storedSeq;
    return jobs.map((job) => toJobDto(job, executions.get(job.id) ?? [], live));
  }

  /** The execution a job's log calls refer to when they name no execution: its latest. */
  logExecution(jobId: string): ExecutionRecord | undefined {
    return primaryExecution(this.deps.jobs.executions(jobId));
  }

  /** What the log hub needs to know about an execution's lines. */
  logState(executionId: string): JobLogState | undefined {
    const run = this.runs.get(executionId);
    if (run !== undefined) return { storedSeq: run.writer.storedSeq, finalSeq: null };
    const execution = this.deps.executions.get(executionId);
    if (execution === undefined) return undefined;
    return { storedSeq: execution.logLines, finalSeq: isTerminalStatus(execution.status) ? execution.logLines : null };
  }

  /** Stops taking jobs and stops every running one (SIGTERM, then SIGKILL after the grace period). */
  async shutdown(): Promise<void> {
    this.dispatcher.close();
    const running = this.runs.all();
    for (const run of running) run.stop('shutdown');
    await Promise.allSettled(running.map((run) => run.finished));
  }

  /** Second signal: SIGKILL everything now. */
  forceStop(): void {
    this.dispatcher.close();
    for (const run of this.runs.all()) run.stop('shutdown', 0);
  }

  private assertAccepting(): void {
    if (!this.dispatcher.isAccepting) {
      throw new CroniumError(ErrorCodes.ShuttingDown, 'shutting_down', 'The daemon is shutting down; run the job again once it has restarted');
    }
  }
}
