import { coerceError } from '../errors';
import type { Execution, ExecutionResult, Executor } from '../executors/executor';
import type { ExecutorRegistry } from '../executors/registry';
import type { Logger } from '../logger';
import type { LogFlushGroup } from '../logs/logFlushGroup';
import type { LogHub } from '../logs/logHub';
import type { Redactor } from '../logs/redactor';
import { isTerminalStatus, type JobStatus } from '../protocol/dto';
import type { SecretBox } from '../secrets/secretBox';
import type { ExecutionRecord, StreamBytes } from '../store/executionRecord';
import type { ExecutionStore } from '../store/executionStore';
import type { JobRecord, JobStore } from '../store/jobStore';
import type { LogStore } from '../store/logStore';
import { ExecutionRun, type ExecutionRunDeps } from './executionRun';
import { newExecutionId } from './jobRequest';
import type { LifecycleBus } from './lifecycleBus';
import type { RunTable } from './runTable';
import type { Terminals } from './terminals';

/** Executions claimed and started per event-loop turn (the rest in the next turns). */
const CLAIMS_PER_TURN = 8;

/**
 * Issues the runtime API token of an execution, valid for as long as it may run (`runsForMs`, null: no
 * bound). The runtime API, above the queue, provides it.
 */
export type IssueToken = (claims: { executionId: string; jobId: string; eventId: string | null; runsForMs: number | null }) => Promise<string>;

/** The longest a retry waits, whatever its backoff and attempt. */
const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;

export interface DispatcherDeps {
  jobs: JobStore;
  executions: ExecutionStore;
  logs: LogStore;
  hub: () => LogHub;
  registry: ExecutorRegistry;
  secrets: SecretBox;
  issueToken: IssueToken;
  redactor: Redactor;
  /** Stores every execution's log batches of a turn in one transaction. */
  logFlush: LogFlushGroup;
  /** Commits what the store holds for this turn: before a process starts, its claim is stored. */
  commitWrites: () => void;
  bus: LifecycleBus;
  runs: RunTable;
  terminals: Terminals;
  concurrency: () => number;
  killGraceMs: () => number;
  /**
   * Work that must not wait behind this turn's other work: the scheduler's due slots. Called where work
   * arrives (an execution's output, its end, a claim), so a saturated event loop still fires a slot
   * within one piece of work of its time instead of after the whole turn (and the timer phase) comes round.
   */
  urgent?: () => void;
  logger: Logger;
}

/**
 * Claims queued executions while slots are free and sees each one to its recorded end. Claiming is
 * event-driven: on submit and whenever an execution ends, never on a timer. `auto` is decided here, as
 * the execution is claimed, so a job that waited in the queue runs where Docker is now, not where it was.
 */
export class Dispatcher {
  private accepting = true;
  /** Recovery first: nothing is claimed before the lost executions of the last daemon are settled. */
  private ready = false;
  /** Settles once a claimed execution's target is decided (for the `jobs/run` answer's notice). */
  private readonly resolving = new Map<string, Promise<void>>();
  private pumpLater: NodeJS.Immediate | undefined;
  /** Wakes the dispatcher when the earliest waiting retry may start. */
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: DispatcherDeps) {}

  get isAccepting(): boolean {
    return this.accepting;
  }

  /** Lets claiming begin (after recovery). */
  open(): void {
    this.ready = true;
    this.pump();
    this.armRetries();
  }

  /** Stops claiming for good (shutdown). */
  close(): void {
    this.accepting = false;
    if (this.pumpLater !== undefined) clearImmediate(this.pumpLater);
    this.pumpLater = undefined;
    clearTimeout(this.retryTimer);
  }

  /**
   * Claims queued executions while slots are free, a few per event-loop turn: with hundreds of free
   * slots, starting them all in one turn would keep every client waiting for that turn to end.
   */
  pump(): void {
    this.deps.urgent?.();
    if (!this.accepting || !this.ready || this.pumpLater !== undefined) return;
    const limit = this.deps.concurrency();
    for (let claimed = 0; this.deps.runs.size < limit; claimed++) {
      if (claimed === CLAIMS_PER_TURN) {
        this.pumpLater = setImmediate(() => {
          this.pumpLater = undefined;
          this.pump();
        });
        return;
      }
      const execution = this.deps.executions.claimNext(Date.now());
      if (execution === undefined) return;
      this.start(execution);
    }
  }

  /** Resolves once `executionId`'s target is decided, if it is being claimed now; at once otherwise. */
  whenResolved(executionId: string): Promise<void> {
    return this.resolving.get(executionId) ?? Promise.resolve();
  }

  /** Follows a run to its end (a new one, or one re-adopted after a restart). */
  watch(run: ExecutionRun): void {
    this.deps.runs.add(run);
    run.finished.then(
      (final) => this.ended(run, final),
      (e: unknown) => {
        // A bug or a store failure: still never leave the execution "running".
        const message = `Internal error: ${coerceError(e).message}`;
        this.deps.logger.error(`execution ${run.id}: ${coerceError(e).stack ?? message}`);
        this.deps.runs.delete(run);
        this.finishWithoutRun(run.record, 'failed', message, { kind: 'internal', message });
        this.pump();
      },
    );
  }

  newRun(execution: ExecutionRecord, job: JobRecord, resume?: { seq: number; bytes: StreamBytes }): ExecutionRun {
    return new ExecutionRun(execution, this.runDeps(job), {
      timeoutMs: job.timeoutMs,
      resume,
      terminal: this.deps.terminals.sizeOf(job.id),
    });
  }

  /** Records an execution that ends without running (cancelled while queued, lost, failed to start). */
  finishWithoutRun(execution: ExecutionRecord, status: JobStatus, message: string, error: { kind: string; message: string }): void {
    const changed = this.deps.executions.finish(execution, {
      status,
      finishedAt: Date.now(),
      exitCode: null,
      signal: null,
      lastError: message,
      error,
      logLines: this.deps.logs.lastSeq(execution.id),
    });
    if (changed) this.announceEnd(this.deps.executions.get(execution.id) as ExecutionRecord);
  }

  private start(claimed: ExecutionRecord): void {
    const job = this.deps.jobs.get(claimed.jobId) as JobRecord;
    const run = this.newRun(claimed, job);
    this.watch(run);
    const resolved = this.prepare(job, claimed, run).then(
      ({ executor, record, env }) => {
        this.deps.commitWrites();
        run.attach(
          executor.start(
            {
              executionId: record.id,
              jobId: job.id,
              runtime: job.runtime,
              script: job.script,
              scriptName: job.scriptName,
              env,
              cwd: job.cwd as string,
              options: record.options,
              serverId: record.serverId,
              // The latest size: the terminal may have been resized while the job waited.
              interactive: run.terminal === undefined ? undefined : (this.deps.terminals.sizeOf(job.id) ?? run.terminal),
            },
            run.hooks,
          ),
        );
      },
      (e: unknown) => run.attach(failedStart(coerceError(e))),
    );
    const settled = resolved.finally(() => this.resolving.delete(claimed.id));
    this.resolving.set(claimed.id, settled);
  }

  /** Decides the target, its options and the environment (with a fresh token) of a claimed execution. */
  private async prepare(
    job: JobRecord,
    claimed: ExecutionRecord,
    run: ExecutionRun,
  ): Promise<{ executor: Executor; record: ExecutionRecord; env: Record<string, string> }> {
    const { target, notice } = await this.deps.registry.resolve(claimed.target);
    const executor = this.deps.registry.get(target);
    const options = executor.options?.resolve(job.targetOptions) ?? null;
    this.deps.executions.resolve(claimed.id, target, options, notice);
    const record: ExecutionRecord = { ...claimed, target, options, notice: notice ?? null };
    this.deps.bus.emit('execution:claimed', { job, execution: record });
    const own = job.envSealed === null ? {} : (JSON.parse(this.deps.secrets.open(job.envSealed)) as Record<string, string>);
    // A timed-out script still gets its kill grace to clean up (its TERM handler may call the API).
    const token = await this.deps.issueToken({
      executionId: record.id,
      jobId: job.id,
      eventId: job.eventId,
      runsForMs: job.timeoutMs === null ? null : job.timeoutMs + this.deps.killGraceMs(),
    });
    // The script has its token in its environment and may print it: masked like a secret.
    run.redactor.add([token]);
    const env = {
      ...own,
      CRONIUM_JOB_ID: job.id,
      CRONIUM_EXECUTION_ID: record.id,
      CRONIUM_EVENT_ID: job.eventId ?? '',
      CRONIUM_RUNTIME: job.runtime,
      CRONIUM_EXECUTION_TOKEN: token,
    };
    return { executor, record, env };
  }

  private runDeps(job: JobRecord): ExecutionRunDeps {
    return {
      executions: this.deps.executions,
      logs: this.deps.logs,
      hub: this.deps.hub(),
      redactor: this.deps.redactor,
      logFlush: this.deps.logFlush,
      killGraceMs: this.deps.killGraceMs,
      onStarted: (execution) => this.deps.bus.emit('execution:started', { job, execution }),
      urgent: this.deps.urgent,
    };
  }

  private ended(run: ExecutionRun, final: ExecutionRecord): void {
    this.deps.urgent?.();
    this.deps.runs.delete(run);
    this.deps.logger.debug(`execution ${final.id} ${final.status}${final.exitCode !== null ? ` (exit ${final.exitCode})` : ''}`);
    const job = this.deps.jobs.get(final.jobId) as JobRecord;
    if (!this.retry(final, job)) this.announceEnd(final, job);
    this.pump();
  }

  /**
   * Queues the next attempt of a failed execution when its job's policy says so, to start after an
   * exponential backoff with jitter (base × 2^(attempt−1), ×0.5–1.5, at most an hour). The attempt waits
   * in the store (`not_before`), so a restarted daemon runs it too. The job is not finished meanwhile.
   */
  private retry(final: ExecutionRecord, job: JobRecord | undefined): boolean {
    if (!this.accepting) return false; // a stopping daemon: the end is the end
    const policy = job?.retries;
    if (job === undefined || !policy || !policy.on.includes(final.status) || final.attempt > policy.count) return false;
    const now = Date.now();
    const delay = Math.min(policy.backoffMs * 2 ** (final.attempt - 1) * (0.5 + Math.random()), MAX_RETRY_DELAY_MS);
    this.deps.executions.insertDelayed(
      { id: newExecutionId(), jobId: job.id, attempt: final.attempt + 1, serverId: final.serverId, target: job.requestedTarget, createdAt: now },
      Math.round(now + delay),
    );
    this.deps.jobs.refreshSummary(job.id);
    this.deps.logger.info(`execution ${final.id} ${final.status}: attempt ${final.attempt + 1} of job ${job.id} in ${Math.round(delay)} ms`);
    const fresh = this.deps.jobs.get(job.id) as JobRecord;
    this.deps.bus.emit('execution:finished', { job: fresh, execution: final, output: final.output ?? null, condition: final.condition });
    this.armRetries();
    return true;
  }

  /** Sets the timer for the earliest retry still waiting. */
  private armRetries(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (!this.accepting) return;
    const now = Date.now();
    const due = this.deps.executions.nextDelayed(now);
    if (due === undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
      this.armRetries();
    }, due - now + 1);
  }

  private announceEnd(execution: ExecutionRecord, known?: JobRecord): void {
    const job = known ?? (this.deps.jobs.get(execution.jobId) as JobRecord);
    this.deps.bus.emit('execution:finished', { job, execution, output: execution.output ?? null, condition: execution.condition });
    if (isTerminalStatus(job.status)) {
      this.deps.terminals.forget(job.id);
      this.deps.bus.emit('job:finished', { job, executions: () => this.deps.jobs.executions(job.id) });
    }
  }
}

function failedStart(error: Error): Execution {
  return { done: Promise.resolve<ExecutionResult>({ exitCode: null, signal: null, spawnError: error }), stop: () => undefined };
}
