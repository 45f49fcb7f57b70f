import { performance } from 'node:perf_hooks';
import { coerceError } from '../errors';
import type { Events } from '../events/events';
import type { Logger } from '../logger';
import type { JobQueue } from '../queue/jobQueue';
import type { EventRecord, EventStore } from '../store/eventStore';
import { nextSlots, slotsBetween, type Schedule } from './schedule';

/** A slot fired later than this after its time counts as missed (its event's catch-up policy applies). */
export const LATE_AFTER_MS = 10_000;
/** The timer wakes at least this often, so a clock step or a sleep is noticed within a minute. */
const MAX_SLEEP_MS = 60_000;
/** Missed slots looked at per event and catch-up: an every-second event down for a day is not 86,400 rows. */
const CATCH_UP_CAP = 1000;
/** Wall-clock time that passed beyond the monotonic clock: the machine slept (or the clock was set). */
const JUMP_MS = 5_000;

export interface SchedulerDeps {
  events: Events;
  store: EventStore;
  queue: JobQueue;
  /** Commits the turn's writes: a slot is in the ledger before its job exists. */
  commitWrites: () => void;
  logger: Logger;
  now?: () => number;
}

type Why = { catchUp: boolean; reason: string | null };

/**
 * Fires the slots of active events. One timer for the next due slot of all events (no polling loop),
 * re-armed on every change. Every slot is written to the ledger (`event_slots`, one row per event and
 * slot time) before its job is made, so no slot fires twice, across restarts too; slots that are not
 * run (overlap, downtime, sleep) are recorded with the reason.
 */
export class Scheduler {
  /** The next slot of each active, scheduled event. */
  private readonly due = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Wall and monotonic time when the timer was armed: their drift tells a sleep. */
  private armedAt = { wall: 0, mono: 0 };
  private readonly now: () => number;
  /** The one slot per event (policy queue) that waits for the event's running job to end. */
  private readonly waiting = new Map<string, { slot: number; why: Why }>();
  /** The jobs to make once this tick's slots are committed. */
  private readonly launches: (() => void)[] = [];
  /** A tick is running: work it causes (a job submitted) calls runDue, which must not tick inside it. */
  private ticking = false;
  /** When the armed timer is due (Infinity when none is armed): runDue's one comparison. */
  private nextAt = Number.POSITIVE_INFINITY;

  constructor(private readonly deps: SchedulerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Settles what a stopped daemon left firing, catches up what it missed, and arms the timer. */
  start(): void {
    this.running = true;
    for (const slot of this.deps.store.firingSlots()) {
      // The ledger row commits with the job; a row still firing has no job: it never ran.
      this.deps.store.settleSlot(slot.eventId, slot.scheduledFor, 'failed', null, 'the daemon stopped as the slot fired');
    }
    for (const event of this.deps.store.scheduled()) this.plan({ ...event, status: 'active' });
    this.tick('the daemon was not running');
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** An event was created, changed or deleted. */
  changed(eventId: string): void {
    if (!this.running) return;
    const event = this.deps.store.get(eventId);
    this.due.delete(eventId);
    if (event !== undefined) this.plan(event);
    this.arm();
  }

  /**
   * Fires the slots due now, ahead of the timer: the daemon calls this from other work (a job's output,
   * its end, a claim). On an event loop that is never idle (more jobs than it can run) the timer's
   * callback comes round only once per loop iteration, behind everything else that turn; called from
   * the work itself, a slot fires within one piece of work of its time (bench `scheduler`: fire delay
   * p50 10–41 → 2–3 ms on a loaded machine). Cheap when nothing is due: one comparison.
   */
  runDue(): void {
    if (this.ticking || this.timer === undefined || this.nextAt > this.now()) return;
    clearTimeout(this.timer);
    this.ticking = true;
    try {
      this.tick(this.missedBecause());
    } finally {
      this.ticking = false;
    }
  }

  /** The time of the next slot to fire, if any (the status bar shows it). */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const at of this.due.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  private plan(event: Planned): void {
    if (event.status !== 'active') return;
    const [next] = slotsAfter(event, 1);
    if (next !== undefined) this.due.set(event.id, next);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAt = Number.POSITIVE_INFINITY;
    if (!this.running) return;
    const next = this.nextDue();
    if (next === undefined) return;
    this.nextAt = next;
    this.armedAt = { wall: this.now(), mono: performance.now() };
    const wait = Math.min(Math.max(0, next - this.armedAt.wall), MAX_SLEEP_MS);
    this.timer = setTimeout(() => this.tick(this.missedBecause()), wait);
  }

  /** Why slots were missed if the timer woke late: a sleep when the wall clock ran ahead of the monotonic one. */
  private missedBecause(): string {
    const wall = this.now() - this.armedAt.wall;
    const mono = performance.now() - this.armedAt.mono;
    return wall - mono > JUMP_MS ? 'the machine was asleep' : 'the daemon was stopped or too busy';
  }

  private tick(missedReason: string): void {
    this.timer = undefined;
    this.nextAt = Number.POSITIVE_INFINITY;
    const now = this.now();
    for (const [eventId, at] of [...this.due]) {
      if (at > now) continue;
      this.due.delete(eventId);
      const event = this.deps.store.get(eventId);
      if (event === undefined || event.status !== 'active') continue;
      try {
        this.fireDue(event, now, missedReason);
      } catch (e) {
        this.deps.logger.error(`scheduling event ${event.name}: ${coerceError(e).stack ?? e}`);
      }
      const fresh = this.deps.store.get(eventId);
      if (fresh !== undefined) this.plan(fresh);
    }
    // One commit for all the slots of this tick: 1000 events due in the same second used to be 1000
    // commits before the last slot was even written (fire delay p99 277 ms against 5 ms without jobs).
    this.launch();
    this.arm();
  }

  /** The slots of `event` due by `now`: on time, one fires; missed ones follow the event's catch-up policy. */
  private fireDue(event: EventRecord, now: number, missedReason: string): void {
    const schedule = event.schedule as Schedule;
    const slots = slotsBetween(schedule, event.decidedThrough ?? event.createdAt, now, CATCH_UP_CAP);
    if (slots.length === 0) return;
    const last = slots[slots.length - 1];
    if (slots.length === 1 && now - last <= LATE_AFTER_MS) {
      this.fire(event, last, { catchUp: false, reason: null });
      return;
    }
    const missed = `missed: ${missedReason}`;
    for (const slot of slots) {
      const inWindow = now - slot <= event.catchUpWindowMs;
      const runs =
        event.catchUp === 'all' ? inWindow : event.catchUp === 'latest' ? slot === last && inWindow : false;
      if (runs) this.fire(event, slot, { catchUp: true, reason: `${missed}; run late by the catch-up policy ${event.catchUp}` });
      else this.skip(event, slot, event.catchUp !== 'none' && !inWindow ? `${missed}; older than the catch-up window` : `${missed}; catch-up policy ${event.catchUp}`);
    }
  }

  private skip(event: EventRecord, slot: number, reason: string): void {
    this.deps.store.recordSlot({ eventId: event.id, scheduledFor: slot, decidedAt: this.now(), decision: 'skipped', jobId: null, catchUp: false, reason });
    this.deps.store.decideThrough(event.id, slot);
  }

  private fire(event: EventRecord, slot: number, why: Why): void {
    const active = this.deps.store.activeJobIds(event.id);
    const busy = active.length > 0 || this.waiting.has(event.id);
    if (busy && event.overlap === 'skip') {
      this.skip(event, slot, 'overlap: the previous run was still going (policy skip)');
      return;
    }
    if (busy && event.overlap === 'queue' && this.waiting.has(event.id)) {
      this.skip(event, slot, 'overlap: a run was already waiting for the previous one (policy queue)');
      return;
    }
    const waits = busy && event.overlap === 'queue';
    const firedAt = this.now();
    const recorded = this.deps.store.recordSlot({
      eventId: event.id,
      scheduledFor: slot,
      decidedAt: firedAt,
      decision: 'firing',
      jobId: null,
      catchUp: why.catchUp,
      reason: waits ? [why.reason, 'waited for the previous run (policy queue)'].filter(Boolean).join('; ') : why.reason,
    });
    this.deps.store.decideThrough(event.id, slot);
    if (!recorded) return; // decided before (by an earlier daemon): never twice
    this.deps.store.countRun(event.id);
    const counted = event.runCount + 1;
    if (event.maxRuns !== null && counted >= event.maxRuns) {
      this.deps.store.update({ ...event, runCount: counted, status: 'paused', decidedThrough: slot, updatedAt: firedAt });
      this.deps.logger.info(`event ${event.name} reached its ${event.maxRuns} runs: paused`);
    }
    if (waits) {
      this.waiting.set(event.id, { slot, why });
      return;
    }
    // Made after the tick's slots are all in the ledger, with one commit (see tick).
    this.launches.push(() => {
      if (busy && event.overlap === 'replace') {
        for (const id of active) void this.deps.queue.cancel(id).catch(() => undefined);
      }
      this.submit(event, slot, why);
    });
  }

  /** Commits the slots decided so far, then makes their jobs: a slot is stored before its job exists. */
  private launch(): void {
    if (this.launches.length === 0) return;
    const launches = this.launches.splice(0);
    this.deps.commitWrites();
    for (const go of launches) go();
  }

  /** A job of `eventId` ended: the run waiting for it (policy queue) goes now. */
  jobEnded(eventId: string): void {
    const waiting = this.waiting.get(eventId);
    if (waiting === undefined || this.deps.store.activeJobIds(eventId).length > 0) return;
    this.waiting.delete(eventId);
    const event = this.deps.store.get(eventId);
    if (event === undefined) return;
    this.submit(event, waiting.slot, waiting.why);
  }

  /** Makes the slot's job; the ledger row says `fired`, with the job, in the same transaction as the job. */
  private submit(event: EventRecord, slot: number, why: Why): void {
    let request;
    try {
      request = this.deps.events.request(event, 'schedule', slot, {
        CRONIUM_SCHEDULED_TIME: new Date(slot).toISOString(),
        CRONIUM_IS_CATCHUP: why.catchUp ? '1' : '0',
      });
    } catch (e) {
      this.deps.store.settleSlot(event.id, slot, 'failed', null, coerceError(e).message);
      return;
    }
    this.deps.queue
      .submit(request, (job) => this.deps.store.settleSlot(event.id, slot, 'fired', job.id))
      .catch((e: unknown) => this.deps.store.settleSlot(event.id, slot, 'failed', null, coerceError(e).message));
  }
}

/** What planning an event's next slot needs. */
type Planned = Pick<EventRecord, 'id' | 'status' | 'schedule' | 'decidedThrough' | 'createdAt'>;

/** The next `count` slots of an event after the last one decided. */
function slotsAfter(event: Planned, count: number): number[] {
  const schedule = event.schedule as Schedule;
  if (schedule.kind === 'manual') return [];
  return nextSlots(schedule, event.decidedThrough ?? event.createdAt, count);
}
