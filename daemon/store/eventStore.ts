import type { Db } from './database';

export type EventType = 'bash' | 'python' | 'node' | 'http';
export type EventStatus = 'active' | 'paused' | 'draft' | 'archived';
export type OverlapPolicy = 'allow' | 'skip' | 'queue' | 'replace';
export type CatchUpPolicy = 'none' | 'latest' | 'all';

/** An event as stored. `schedule`, `http`, `retries` and `targetOptions` are opaque JSON here. */
export interface EventRecord {
  id: string;
  name: string;
  description: string;
  tags: string[];
  type: EventType;
  script: string | null;
  file: string | null;
  http: unknown;
  target: string;
  targetOptions: Record<string, unknown>;
  envSealed: string | null;
  envKeys: string[];
  cwd: string | null;
  timeoutMs: number | null;
  retries: unknown;
  status: EventStatus;
  maxRuns: number | null;
  runCount: number;
  overlap: OverlapPolicy;
  catchUp: CatchUpPolicy;
  catchUpWindowMs: number;
  schedule: unknown;
  decidedThrough: number | null;
  createdAt: number;
  updatedAt: number;
}

interface EventRow {
  id: string;
  name: string;
  description: string;
  tags_json: string;
  type: EventType;
  script: string | null;
  file: string | null;
  http_json: string | null;
  target: string;
  target_options_json: string | null;
  env_sealed: string | null;
  env_keys: string;
  cwd: string | null;
  timeout_ms: number | null;
  retries_json: string | null;
  status: EventStatus;
  max_runs: number | null;
  run_count: number;
  overlap: OverlapPolicy;
  catch_up: CatchUpPolicy;
  catch_up_window_ms: number;
  schedule_json: string;
  decided_through: number | null;
  created_at: number;
  updated_at: number;
}

const parse = (json: string | null): unknown => (json === null ? null : JSON.parse(json));

function fromRow(row: EventRow): EventRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    tags: JSON.parse(row.tags_json) as string[],
    type: row.type,
    script: row.script,
    file: row.file,
    http: parse(row.http_json),
    target: row.target,
    targetOptions: (parse(row.target_options_json) ?? {}) as Record<string, unknown>,
    envSealed: row.env_sealed,
    envKeys: JSON.parse(row.env_keys) as string[],
    cwd: row.cwd,
    timeoutMs: row.timeout_ms,
    retries: parse(row.retries_json),
    status: row.status,
    maxRuns: row.max_runs,
    runCount: row.run_count,
    overlap: row.overlap,
    catchUp: row.catch_up,
    catchUpWindowMs: row.catch_up_window_ms,
    schedule: JSON.parse(row.schedule_json),
    decidedThrough: row.decided_through,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(event: EventRecord): EventRow {
  const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
  return {
    id: event.id,
    name: event.name,
    description: event.description,
    tags_json: JSON.stringify(event.tags),
    type: event.type,
    script: event.script,
    file: event.file,
    http_json: json(event.http),
    target: event.target,
    target_options_json: Object.keys(event.targetOptions).length === 0 ? null : JSON.stringify(event.targetOptions),
    env_sealed: event.envSealed,
    env_keys: JSON.stringify(event.envKeys),
    cwd: event.cwd,
    timeout_ms: event.timeoutMs,
    retries_json: json(event.retries),
    status: event.status,
    max_runs: event.maxRuns,
    run_count: event.runCount,
    overlap: event.overlap,
    catch_up: event.catchUp,
    catch_up_window_ms: event.catchUpWindowMs,
    schedule_json: JSON.stringify(event.schedule),
    decided_through: event.decidedThrough,
    created_at: event.createdAt,
    updated_at: event.updatedAt,
  };
}

const COLUMNS = Object.keys(toRow({ tags: [], envKeys: [], targetOptions: {} } as unknown as EventRecord));

export type SlotDecision = 'firing' | 'fired' | 'skipped' | 'failed';

/** One slot of an event's schedule, as the ledger holds it. */
export interface SlotRecord {
  eventId: string;
  scheduledFor: number;
  decidedAt: number;
  decision: SlotDecision;
  jobId: string | null;
  catchUp: boolean;
  reason: string | null;
  /** The status of the slot's job, when it has one. */
  jobStatus: string | null;
}

interface SlotRow {
  event_id: string;
  scheduled_for: number;
  decided_at: number;
  decision: SlotDecision;
  job_id: string | null;
  catch_up: number;
  reason: string | null;
  job_status: string | null;
}

const slotFromRow = (row: SlotRow): SlotRecord => ({
  eventId: row.event_id,
  scheduledFor: row.scheduled_for,
  decidedAt: row.decided_at,
  decision: row.decision,
  jobId: row.job_id,
  catchUp: row.catch_up === 1,
  reason: row.reason,
  jobStatus: row.job_status,
});

/** Prepared statements for `events` and their slot ledger, `event_slots`. */
export class EventStore {
  private readonly stmts;

  constructor(
    db: Db,
    /** Called before each write: the daemon joins it to the turn's transaction (see TurnTransaction). */
    private readonly beforeWrite: () => void = () => undefined,
  ) {
    this.stmts = {
      insert: db.prepare(`INSERT INTO events (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`),
      update: db.prepare(
        `UPDATE events SET ${COLUMNS.filter((c) => c !== 'id' && c !== 'created_at')
          .map((c) => `${c} = @${c}`)
          .join(', ')} WHERE id = @id`,
      ),
      get: db.prepare<[string], EventRow>('SELECT * FROM events WHERE id = ?'),
      byName: db.prepare<[string], EventRow>('SELECT * FROM events WHERE name = ?'),
      list: db.prepare<[], EventRow>('SELECT * FROM events ORDER BY name'),
      scheduled: db.prepare<[], { id: string; schedule_json: string; decided_through: number | null; created_at: number }>(
        "SELECT id, schedule_json, decided_through, created_at FROM events WHERE status = 'active'",
      ),
      delete: db.prepare<[string]>('DELETE FROM events WHERE id = ?'),
      decide: db.prepare<[number, string, number]>(
        'UPDATE events SET decided_through = ? WHERE id = ? AND (decided_through IS NULL OR decided_through < ?)',
      ),
      countRun: db.prepare<[string]>('UPDATE events SET run_count = run_count + 1 WHERE id = ?'),
      recordSlot: db.prepare(
        `INSERT INTO event_slots (event_id, scheduled_for, decided_at, decision, job_id, catch_up, reason)
         VALUES (@eventId, @scheduledFor, @decidedAt, @decision, @jobId, @catchUp, @reason)
         ON CONFLICT (event_id, scheduled_for) DO NOTHING`,
      ),
      settleSlot: db.prepare<[SlotDecision, string | null, string | null, string, number]>(
        'UPDATE event_slots SET decision = ?, job_id = ?, reason = coalesce(?, reason) WHERE event_id = ? AND scheduled_for = ?',
      ),
      recentSlots: db.prepare<[string, number], SlotRow>(
        `SELECT s.*, j.status AS job_status FROM event_slots s LEFT JOIN jobs j ON j.id = s.job_id
         WHERE s.event_id = ? ORDER BY s.scheduled_for DESC LIMIT ?`,
      ),
      firing: db.prepare<[], SlotRow>(
        `SELECT s.*, NULL AS job_status FROM event_slots s WHERE s.decision = 'firing'`,
      ),
      jobsOf: db.prepare<[string, number], { id: string }>('SELECT id FROM jobs WHERE event_id = ? ORDER BY rowid DESC LIMIT ?'),
      activeJobsOf: db.prepare<[string], { id: string }>(
        `SELECT id FROM jobs WHERE event_id = ? AND status IN ('queued', 'claimed', 'running') ORDER BY rowid`,
      ),
    };
  }

  insert(event: EventRecord): void {
    this.beforeWrite();
    this.stmts.insert.run(toRow(event));
  }

  update(event: EventRecord): void {
    this.beforeWrite();
    this.stmts.update.run(toRow(event));
  }

  get(id: string): EventRecord | undefined {
    const row = this.stmts.get.get(id);
    return row && fromRow(row);
  }

  /** By id, else by name. */
  find(idOrName: string): EventRecord | undefined {
    const row = this.stmts.get.get(idOrName) ?? this.stmts.byName.get(idOrName);
    return row && fromRow(row);
  }

  list(): EventRecord[] {
    return this.stmts.list.all().map(fromRow);
  }

  /** What the scheduler needs of every active event to plan its next slot, without the rest of the row. */
  scheduled(): { id: string; schedule: unknown; decidedThrough: number | null; createdAt: number }[] {
    return this.stmts.scheduled.all().map((r) => ({ id: r.id, schedule: JSON.parse(r.schedule_json), decidedThrough: r.decided_through, createdAt: r.created_at }));
  }

  delete(id: string): boolean {
    this.beforeWrite();
    return this.stmts.delete.run(id).changes === 1;
  }

  /** Moves the event's watermark forward: every slot up to `through` is decided. */
  decideThrough(id: string, through: number): void {
    this.beforeWrite();
    this.stmts.decide.run(through, id, through);
  }

  countRun(id: string): void {
    this.beforeWrite();
    this.stmts.countRun.run(id);
  }

  /** Writes a slot into the ledger. False when the slot was already there: it never fires twice. */
  recordSlot(slot: Omit<SlotRecord, 'jobStatus'>): boolean {
    this.beforeWrite();
    return this.stmts.recordSlot.run({ ...slot, catchUp: slot.catchUp ? 1 : 0 }).changes === 1;
  }

  settleSlot(eventId: string, scheduledFor: number, decision: SlotDecision, jobId: string | null, reason: string | null = null): void {
    this.beforeWrite();
    this.stmts.settleSlot.run(decision, jobId, reason, eventId, scheduledFor);
  }

  recentSlots(eventId: string, limit: number): SlotRecord[] {
    return this.stmts.recentSlots.all(eventId, limit).map(slotFromRow);
  }

  /** Slots a daemon wrote as firing and never settled: it stopped between the two. */
  firingSlots(): SlotRecord[] {
    return this.stmts.firing.all().map(slotFromRow);
  }

  jobIds(eventId: string, limit: number): string[] {
    return this.stmts.jobsOf.all(eventId, limit).map((r) => r.id);
  }

  /** The event's jobs that are queued or running. */
  activeJobIds(eventId: string): string[] {
    return this.stmts.activeJobsOf.all(eventId).map((r) => r.id);
  }
}
