import { randomBytes } from 'node:crypto';
import { coerceError, CroniumError } from '../errors';
import type { Events } from '../events/events';
import type { Logger } from '../logger';
import { isTerminalStatus } from '../protocol/dto';
import { ErrorCodes } from '../protocol/errors';
import type { RunTrigger, StepStatus, WorkflowDocument } from '../protocol/workflows';
import { primaryExecution } from '../queue/jobDto';
import type { JobQueue } from '../queue/jobQueue';
import type { ExecutionRecord } from '../store/executionRecord';
import type { JobRecord, JobStore } from '../store/jobStore';
import type { RunRecord, StepRecord, WorkflowRecord, WorkflowStore } from '../store/workflowStore';
import { isDecided, skipReason, WorkflowGraph, type StepState } from './graph';
import { stepRequest } from './stepRequest';
import { runNotActive, runNotFound } from './workflowErrors';

/** Error kinds of a step's job that say the daemon stopped under it, not that the step failed. */
const INTERRUPTED = new Set(['daemon_shutdown', 'daemon_lost']);
/** A step interrupted by this many daemon stops in a row is recorded failed. */
const MAX_INTERRUPTIONS = 3;

export interface EngineDeps {
  store: WorkflowStore;
  queue: JobQueue;
  jobs: JobStore;
  events: Events;
  logger: Logger;
  /** A run or some of its steps changed: watching clients hear of it. */
  changed: (run: RunRecord, steps: StepRecord[]) => void;
  now?: () => number;
}

/** A run the engine follows: its record, graph and steps, and who waits for its end. */
interface ActiveRun {
  record: RunRecord;
  graph: WorkflowGraph;
  steps: Map<string, StepRecord>;
  cancelling: boolean;
  /** Started before a run of the same workflow ended (policy queue): it waits for that one. */
  waiting: boolean;
  interruptions: Map<string, number>;
  ended: Promise<void>;
  end: () => void;
}

function newRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = 'wfr_';
  for (const b of randomBytes(12)) id += alphabet[b % alphabet.length];
  return id;
}

const STEP_OF_JOB: Record<string, StepStatus> = { succeeded: 'succeeded', failed: 'failed', partial: 'failed', cancelled: 'cancelled', timed_out: 'timed_out' };

/**
 * The run state machine. Event-driven: a run advances when one of its steps' jobs ends (the queue's
 * `job:finished`), never on a timer. Every change of a run or step is stored before clients hear of
 * it, so history survives a restart; after one, the runs recorded `running` are taken up again: steps
 * whose jobs were re-adopted are followed, those that ended meanwhile are applied, those the stop
 * interrupted run again with their recorded input.
 */
export class WorkflowEngine {
  private readonly runs = new Map<string, ActiveRun>();
  private readonly byJob = new Map<string, { run: ActiveRun; nodeId: string }>();
  private readonly now: () => number;
  private ready = false;
  private stopping = false;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? Date.now;
    // Before the queue recovers jobs: their ends must find the runs they belong to.
    for (const record of deps.store.activeRuns()) this.follow(record, deps.store.steps(record.id));
  }

  /** After the queue's recovery: applies what ended while the daemon was down, and advances every run. */
  recover(): void {
    this.ready = true;
    for (const run of [...this.runs.values()]) {
      for (const step of run.steps.values()) {
        if (step.status !== 'running') continue;
        const job = step.jobId === null ? undefined : this.deps.jobs.get(step.jobId);
        if (job === undefined) this.startStep(run, step.nodeId, 'the daemon stopped before the step\'s job was made');
        else if (isTerminalStatus(job.status)) this.jobFinished(job, () => this.deps.jobs.executions(job.id));
      }
      this.advance(run);
    }
  }

  /** Stops following runs (shutdown): the steps the stop cancels are taken up by the next start. */
  stop(): void {
    this.stopping = true;
  }

  isActive(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** Starts a run of a valid document; resolves once its start steps are submitted. */
  start(workflow: WorkflowRecord, document: WorkflowDocument, trigger: RunTrigger, input: unknown): RunRecord {
    const busy = this.deps.store.activeRunIds(workflow.id);
    const overlap = document.overlap ?? 'allow';
    if (busy.length > 0 && overlap === 'skip') {
      throw new CroniumError(ErrorCodes.WorkflowBusy, 'workflow_busy', `Workflow ${workflow.name} is still running (${busy[0]}) and its overlap policy is skip`, {
        workflow: workflow.name,
        run: busy[0],
      });
    }
    const now = this.now();
    const record: RunRecord = {
      id: newRunId(),
      workflowId: workflow.id,
      workflowName: workflow.name,
      document,
      status: 'running',
      trigger,
      input: input === undefined ? (document.input ?? null) : input,
      resumes: 0,
      createdAt: now,
      finishedAt: null,
    };
    const steps = document.nodes.map((node, seq): StepRecord => ({
      runId: record.id,
      nodeId: node.id,
      seq,
      status: 'pending',
      attempt: 0,
      jobId: null,
      input: undefined,
      output: undefined,
      condition: null,
      startedAt: null,
      finishedAt: null,
      reason: null,
    }));
    this.deps.store.insertRun(record, steps);
    const run = this.follow(record, steps);
    run.waiting = busy.length > 0 && overlap === 'queue';
    this.deps.changed(record, steps);
    if (!run.waiting) this.advance(run);
    return record;
  }

  /** Cancels every running step and skips the rest; resolves once the run is recorded `cancelled`. */
  async cancel(runId: string): Promise<void> {
    const run = this.runs.get(runId);
    if (run === undefined) {
      const stored = this.deps.store.getRun(runId);
      if (stored === undefined) throw runNotFound(runId);
      throw runNotActive(runId, stored.status, 'only a running run can be cancelled');
    }
    run.cancelling = true;
    const jobs: string[] = [];
    for (const step of run.steps.values()) {
      if (step.status === 'pending') this.settle(run, step, 'skipped', 'the run was cancelled');
      else if (step.status === 'running' && step.jobId !== null) jobs.push(step.jobId);
    }
    await Promise.allSettled(jobs.map((id) => this.deps.queue.cancel(id)));
    this.advance(run);
    await run.ended;
  }

  /**
   * Runs a failed, partial or cancelled run again from its failed steps, each with the input it was
   * recorded with; succeeded steps keep their outputs and are not run again, skipped ones are decided anew.
   */
  resume(runId: string): RunRecord {
    const record = this.deps.store.getRun(runId);
    if (record === undefined) throw runNotFound(runId);
    if (record.status === 'running' || record.status === 'succeeded') {
      throw runNotActive(runId, record.status, 'only a failed, partial or cancelled run can be resumed');
    }
    const steps = this.deps.store.steps(runId).map((step): StepRecord => {
      if (step.status === 'succeeded') return step;
      const ran = step.status !== 'skipped';
      return { ...step, status: 'pending', input: ran ? step.input : undefined, output: undefined, condition: null, finishedAt: null, reason: null };
    });
    const resumed: RunRecord = { ...record, status: 'running', resumes: record.resumes + 1, finishedAt: null };
    this.deps.store.updateRun(resumed);
    for (const step of steps) this.deps.store.saveStep(step);
    const run = this.follow(resumed, steps);
    this.deps.changed(resumed, steps);
    this.advance(run);
    return resumed;
  }

  /** A job ended: if it is a step's, record the step and advance its run. */
  jobFinished(job: JobRecord, executions: () => ExecutionRecord[]): void {
    if (job.workflowRunId === null || this.stopping || !this.ready) return;
    const entry = this.byJob.get(job.id);
    if (entry === undefined) return;
    const { run, nodeId } = entry;
    const step = run.steps.get(nodeId) as StepRecord;
    if (step.jobId !== job.id || step.status !== 'running') return;
    this.byJob.delete(job.id);
    const last = primaryExecution(executions());
    const kind = last?.error?.kind;
    if (kind !== undefined && INTERRUPTED.has(kind) && !run.cancelling) {
      const count = (run.interruptions.get(nodeId) ?? 0) + 1;
      run.interruptions.set(nodeId, count);
      if (count < MAX_INTERRUPTIONS) {
        this.deps.logger.info(`workflow run ${run.record.id}: step ${nodeId} was interrupted by a daemon stop; running it again`);
        this.startStep(run, nodeId, null);
        return;
      }
    }
    step.output = last?.output ?? undefined;
    step.condition = last?.condition ?? null;
    this.settle(run, step, STEP_OF_JOB[job.status] ?? 'failed', last?.lastError ?? null);
    this.advance(run);
  }

  private follow(record: RunRecord, steps: readonly StepRecord[]): ActiveRun {
    let end = (): void => undefined;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const run: ActiveRun = {
      record,
      graph: new WorkflowGraph(record.document as WorkflowDocument),
      steps: new Map(steps.map((step) => [step.nodeId, { ...step }])),
      cancelling: false,
      waiting: false,
      interruptions: new Map(),
      ended,
      end,
    };
    this.runs.set(record.id, run);
    for (const step of run.steps.values()) if (step.status === 'running' && step.jobId !== null) this.byJob.set(step.jobId, { run, nodeId: step.nodeId });
    return run;
  }

  /** Decides every step that can be decided now, in topological order; ends the run when all are. */
  private advance(run: ActiveRun): void {
    if (!this.ready || run.waiting || !this.runs.has(run.record.id)) return;
    const state = (id: string): StepState => run.steps.get(id) as StepRecord;
    if (!run.cancelling) {
      const limit = run.graph.document.concurrency ?? Infinity;
      let running = [...run.steps.values()].filter((step) => step.status === 'running').length;
      for (const id of run.graph.topological()) {
        if (!this.runs.has(run.record.id)) return; // a step that failed to start ended it meanwhile
        const step = run.steps.get(id) as StepRecord;
        if (step.status !== 'pending') continue;
        const decision = run.graph.decide(id, state);
        // Over the run's own limit a ready step stays pending: the next step's end advances the run again.
        if (decision === 'run' && running < limit) {
          running++;
          this.startStep(run, id, null);
        } else if (decision === 'skip') this.settle(run, step, 'skipped', skipReason(run.graph, id, state));
      }
    }
    if (![...run.steps.values()].every((step) => isDecided(step.status))) return;
    this.finish(run, run.cancelling ? 'cancelled' : run.graph.runStatus(state));
  }

  /** Submits a step's job, with its recorded input when it has one (a resume, an interrupted step). */
  private startStep(run: ActiveRun, nodeId: string, note: string | null): void {
    const step = run.steps.get(nodeId) as StepRecord;
    const node = run.graph.document.nodes.find((n) => n.id === nodeId);
    if (node === undefined) return;
    const state = (id: string): StepState => run.steps.get(id) as StepRecord;
    const input = step.input !== undefined ? step.input : run.graph.inputOf(nodeId, state, run.record.input);
    Object.assign(step, { status: 'running', attempt: step.attempt + 1, jobId: null, input, output: undefined, condition: null, startedAt: this.now(), finishedAt: null, reason: note });
    this.deps.store.saveStep(step);
    this.deps.changed(run.record, [step]);
    let request;
    try {
      request = stepRequest(node, { workflowName: run.record.workflowName, runId: run.record.id, input, events: this.deps.events });
    } catch (e) {
      this.failStep(run, step, coerceError(e).message);
      return;
    }
    const attempt = step.attempt;
    this.deps.queue
      .submit(request, (job) => {
        step.jobId = job.id;
        this.byJob.set(job.id, { run, nodeId });
        this.deps.store.saveStep(step);
        this.deps.changed(run.record, [step]);
        if (run.cancelling) void this.deps.queue.cancel(job.id).catch(() => undefined);
      })
      .catch((e: unknown) => {
        if (step.attempt === attempt && step.status === 'running' && step.jobId === null) this.failStep(run, step, coerceError(e).message);
      });
  }

  private failStep(run: ActiveRun, step: StepRecord, reason: string): void {
    this.settle(run, step, 'failed', reason);
    this.advance(run);
  }

  private settle(run: ActiveRun, step: StepRecord, status: StepStatus, reason: string | null): void {
    step.status = status;
    step.reason = reason;
    step.finishedAt = status === 'skipped' && step.startedAt === null ? null : this.now();
    this.deps.store.saveStep(step);
    this.deps.changed(run.record, [step]);
  }

  private finish(run: ActiveRun, status: RunRecord['status']): void {
    if (!this.runs.has(run.record.id)) return;
    run.record = { ...run.record, status, finishedAt: this.now() };
    this.deps.store.updateRun(run.record);
    this.runs.delete(run.record.id);
    this.deps.changed(run.record, []);
    run.end();
    // The next run of the workflow that waited for this one (policy queue).
    const next = [...this.runs.values()].find((r) => r.waiting && r.record.workflowId === run.record.workflowId);
    if (next !== undefined) {
      next.waiting = false;
      this.advance(next);
    }
  }
}
