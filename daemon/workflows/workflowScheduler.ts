import { coerceError } from '../errors';
import type { Logger } from '../logger';
import type { WorkflowDocument } from '../protocol/workflows';
import { LATE_AFTER_MS } from '../scheduler/scheduler';
import { nextSlots, slotsBetween } from '../scheduler/schedule';
import type { RunRecord, WorkflowRecord, WorkflowStore } from '../store/workflowStore';
import { workflowSchedule } from './workflows';

/** The timer wakes at least this often, so a clock step or a sleep is noticed within a minute. */
const MAX_SLEEP_MS = 60_000;
/** Missed slots looked at per workflow: an every-second workflow down for a day is not 86,400 rows. */
const CATCH_UP_CAP = 1000;
/** A missed slot older than this is not caught up. */
const CATCH_UP_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface WorkflowSchedulerDeps {
  store: WorkflowStore;
  run: (workflow: WorkflowRecord) => RunRecord;
  /** Commits the turn's writes: a slot is in the ledger before its run exists. */
  commitWrites: () => void;
  logger: Logger;
  now?: () => number;
}

/**
 * Schedule triggers of workflows, by the events' rules (scheduler/scheduler.ts): the same schedule
 * math (croner, `every` intervals), one timer for the next due slot (no polling), every slot written
 * to a ledger (`workflow_slots`, one row per workflow and slot) before its run is made, so none fires
 * twice, across restarts too; missed slots are caught up by the policy `latest` (the last one within a
 * day runs, the others are recorded skipped). A run the overlap policy refuses is a skipped slot.
 */
export class WorkflowScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly now: () => number;

  constructor(private readonly deps: WorkflowSchedulerDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.running = true;
    for (const slot of this.deps.store.firingSlots()) {
      this.deps.store.settleSlot(slot.workflowId, slot.scheduledFor, 'failed', null, 'the daemon stopped as the slot fired');
    }
    this.tick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A workflow was registered, changed or deleted: plan again. */
  changed(): void {
    if (this.running) this.arm();
  }

  private tick(): void {
    this.timer = undefined;
    const now = this.now();
    const fired: { workflow: WorkflowRecord; slot: number }[] = [];
    for (const workflow of this.deps.store.list()) {
      try {
        const slot = this.due(workflow, now);
        if (slot !== undefined) fired.push({ workflow, slot });
      } catch (e) {
        this.deps.logger.error(`scheduling workflow ${workflow.name}: ${coerceError(e).message}`);
      }
    }
    // The ledger rows first, in one commit; then the runs.
    this.deps.commitWrites();
    for (const { workflow, slot } of fired) this.fire(workflow, slot);
    this.arm();
  }

  /** Records the slots of `workflow` due by `now`; returns the one to fire, if any. */
  private due(workflow: WorkflowRecord, now: number): number | undefined {
    const schedule = workflowSchedule(workflow.document as WorkflowDocument, workflow.createdAt);
    if (schedule.kind === 'manual') return undefined;
    const slots = slotsBetween(schedule, workflow.decidedThrough ?? workflow.createdAt, now, CATCH_UP_CAP);
    if (slots.length === 0) return undefined;
    const last = slots[slots.length - 1];
    for (const slot of slots.slice(0, -1)) {
      this.deps.store.recordSlot({ workflowId: workflow.id, scheduledFor: slot, decidedAt: now, decision: 'skipped', runId: null, reason: 'missed: the daemon was not running; catch-up policy latest' });
    }
    this.deps.store.decideThrough(workflow.id, last);
    const late = now - last > LATE_AFTER_MS;
    if (late && now - last > CATCH_UP_WINDOW_MS) {
      this.deps.store.recordSlot({ workflowId: workflow.id, scheduledFor: last, decidedAt: now, decision: 'skipped', runId: null, reason: 'missed; older than the catch-up window' });
      return undefined;
    }
    const recorded = this.deps.store.recordSlot({
      workflowId: workflow.id,
      scheduledFor: last,
      decidedAt: now,
      decision: 'firing',
      runId: null,
      reason: late ? 'missed; run late by the catch-up policy latest' : null,
    });
    return recorded ? last : undefined; // decided before (by an earlier daemon): never twice
  }

  private fire(workflow: WorkflowRecord, slot: number): void {
    try {
      const run = this.deps.run(workflow);
      this.deps.store.settleSlot(workflow.id, slot, 'fired', run.id);
    } catch (e) {
      // E.g. the overlap policy skip, or an event it names was deleted.
      const message = coerceError(e).message;
      this.deps.store.settleSlot(workflow.id, slot, 'skipped', null, message);
      this.deps.logger.warn(`workflow ${workflow.name}: slot ${new Date(slot).toISOString()} not run: ${message}`);
    }
  }

  /** One timer for the next due slot of every scheduled workflow. */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) return;
    const now = this.now();
    let next: number | undefined;
    for (const workflow of this.deps.store.list()) {
      let schedule;
      try {
        schedule = workflowSchedule(workflow.document as WorkflowDocument, workflow.createdAt);
      } catch {
        continue;
      }
      if (schedule.kind === 'manual') continue;
      const [at] = nextSlots(schedule, workflow.decidedThrough ?? workflow.createdAt, 1);
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    if (next === undefined) return;
    this.timer = setTimeout(() => this.tick(), Math.min(Math.max(0, next - now), MAX_SLEEP_MS));
  }
}
