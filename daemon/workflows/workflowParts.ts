import type { Events } from '../events/events';
import type { Logger } from '../logger';
import type { WorkflowDto, WorkflowRunDto, WorkflowStepDto } from '../protocol/workflows';
import type { JobQueue } from '../queue/jobQueue';
import type { EventStore } from '../store/eventStore';
import type { ExecutionRecord } from '../store/executionRecord';
import type { JobRecord, JobStore } from '../store/jobStore';
import type { WorkflowStore } from '../store/workflowStore';
import { WorkflowEngine } from './engine';
import { toRunSummary, toStepDto } from './runDto';
import { WEBHOOK_TOLERANCE_MS, WebhookListener } from './webhooks';
import { WorkflowScheduler } from './workflowScheduler';
import { Workflows } from './workflows';

export interface WorkflowPartsDeps {
  store: WorkflowStore;
  queue: JobQueue;
  jobs: JobStore;
  events: Events;
  eventStore: EventStore;
  /** A variable's value (the webhook secrets), undefined when unset. */
  variable: (key: string) => unknown;
  /** The webhook listener's address (settings `webhookHost`, `webhookPort`). */
  webhookAddress: () => { host: string; port: number };
  /** Commits the turn's writes (before a slot's run is made, before a webhook sender is answered). */
  commitWrites: () => void;
  logger: Logger;
  /** What watching clients hear; called only once the daemon serves. */
  announce: {
    run: (run: Omit<WorkflowRunDto, 'steps'>, steps: WorkflowStepDto[]) => void;
    workflow: (workflow: WorkflowDto, deleted: boolean) => void;
    /** True when some client watches workflows (messages are built only then). */
    watched: () => boolean;
  };
}

/**
 * The workflow side of the daemon, put together in one place so daemon.ts only calls its lifecycle:
 * the engine (on `job:finished`), the registry of workflows and their files, schedule triggers and the
 * webhook listener.
 */
export class WorkflowParts {
  readonly engine: WorkflowEngine;
  readonly workflows: Workflows;
  private readonly scheduler: WorkflowScheduler;
  private readonly webhooks: WebhookListener;

  constructor(readonly deps: WorkflowPartsDeps) {
    const { store, announce } = deps;
    this.engine = new WorkflowEngine({
      store,
      queue: deps.queue,
      jobs: deps.jobs,
      events: deps.events,
      logger: deps.logger,
      changed: (run, steps) => {
        if (announce.watched()) announce.run(toRunSummary(run), steps.map(toStepDto));
      },
    });
    this.workflows = new Workflows({
      store,
      engine: this.engine,
      eventScript: (name) => {
        const event = deps.eventStore.find(name);
        if (event === undefined) return undefined;
        return event.type === 'http' || event.file !== null ? null : event.script;
      },
      webhookUrl: (key) => this.webhooks.url(key),
      logger: deps.logger,
      changed: (workflow, deleted) => {
        this.scheduler.changed();
        void this.webhooks.sync();
        if (announce.watched()) announce.workflow(this.workflows.dto(workflow), deleted === true);
      },
    });
    this.scheduler = new WorkflowScheduler({
      store,
      run: (workflow) => this.workflows.run(workflow, 'schedule', undefined),
      commitWrites: deps.commitWrites,
      logger: deps.logger,
    });
    this.webhooks = new WebhookListener({
      address: deps.webhookAddress,
      workflows: () => this.workflows.list(),
      variable: deps.variable,
      remember: (signature, workflowId, now) => store.recordDelivery(signature, workflowId, now, now - 2 * WEBHOOK_TOLERANCE_MS),
      run: (workflow, input) => {
        const run = this.workflows.run(workflow, 'webhook', input);
        deps.commitWrites(); // the sender is told of a run that is stored
        return run;
      },
      logger: deps.logger,
    });
  }

  /** A job ended: the engine advances the run it belongs to, if any. */
  jobFinished(job: JobRecord, executions: () => ExecutionRecord[]): void {
    this.engine.jobFinished(job, executions);
  }

  /** After the queue recovered lost jobs: the runs an earlier daemon left are taken up. */
  recovered(): void {
    this.engine.recover();
  }

  /** Once the queue is open: files read again, schedules and webhooks armed. */
  start(): void {
    this.workflows.start();
    this.scheduler.start();
    void this.webhooks.sync();
  }

  settingsChanged(): void {
    void this.webhooks.sync(); // a new address or port
  }

  /** Before the queue stops its jobs: nothing new starts, and the steps the stop cancels run again at the next start. */
  async stop(): Promise<void> {
    this.scheduler.stop();
    this.engine.stop();
    this.workflows.close();
    await this.webhooks.close();
  }
}
