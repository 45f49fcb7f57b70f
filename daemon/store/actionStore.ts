import type { ActionKind, ActionTrigger } from '../protocol/eventActions';
import type { Db } from './database';

/** Options of an action beyond its target, as stored (`options_json`). */
export interface ActionOptions {
  /** Email: the subject's template. */
  subject?: string;
  /** Webhook: the HMAC key, sealed. */
  hmacSealed?: string;
}

/** An action of an event, as stored. Times are milliseconds since the epoch. */
export interface ActionRecord {
  id: string;
  eventId: string;
  trigger: ActionTrigger;
  kind: ActionKind;
  /** The event id, URL or address, sealed. */
  targetSealed: string;
  /** What listings show of the target. */
  targetShown: string;
  template: string | null;
  options: ActionOptions;
  createdAt: number;
}

/** What one action did for one job. */
export interface ActionResultRecord {
  jobId: string;
  actionId: string;
  kind: ActionKind;
  trigger: ActionTrigger;
  status: 'ok' | 'failed';
  detail: string;
  chainedJobId: string | null;
  at: number;
}

interface ActionRow {
  id: string;
  event_id: string;
  trigger: ActionTrigger;
  kind: ActionKind;
  target_sealed: string;
  target_shown: string;
  template: string | null;
  options_json: string | null;
  created_at: number;
}

interface ResultRow {
  job_id: string;
  action_id: string;
  kind: ActionKind;
  trigger: ActionTrigger;
  status: 'ok' | 'failed';
  detail: string;
  chained_job_id: string | null;
  at: number;
}

const fromRow = (row: ActionRow): ActionRecord => ({
  id: row.id,
  eventId: row.event_id,
  trigger: row.trigger,
  kind: row.kind,
  targetSealed: row.target_sealed,
  targetShown: row.target_shown,
  template: row.template,
  options: row.options_json === null ? {} : (JSON.parse(row.options_json) as ActionOptions),
  createdAt: row.created_at,
});

const resultFromRow = (row: ResultRow): ActionResultRecord => ({
  jobId: row.job_id,
  actionId: row.action_id,
  kind: row.kind,
  trigger: row.trigger,
  status: row.status,
  detail: row.detail,
  chainedJobId: row.chained_job_id,
  at: row.at,
});

/** Prepared statements for `event_actions` and `job_action_results`. */
export class ActionStore {
  private readonly stmts;

  constructor(
    db: Db,
    /** Called before each write: the daemon joins it to the turn's transaction (see TurnTransaction). */
    private readonly beforeWrite: () => void = () => undefined,
  ) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO event_actions (id, event_id, trigger, kind, target_sealed, target_shown, template, options_json, created_at)
         VALUES (@id, @event_id, @trigger, @kind, @target_sealed, @target_shown, @template, @options_json, @created_at)`,
      ),
      ofEvent: db.prepare<[string], ActionRow>('SELECT * FROM event_actions WHERE event_id = ? ORDER BY created_at, rowid'),
      delete: db.prepare<[string, string]>('DELETE FROM event_actions WHERE id = ? AND event_id = ?'),
      record: db.prepare(
        `INSERT INTO job_action_results (job_id, action_id, kind, trigger, status, detail, chained_job_id, at)
         VALUES (@jobId, @actionId, @kind, @trigger, @status, @detail, @chainedJobId, @at)`,
      ),
      ofJob: db.prepare<[string], ResultRow>('SELECT * FROM job_action_results WHERE job_id = ? ORDER BY id'),
      lastOf: db.prepare<[string], ResultRow>('SELECT * FROM job_action_results WHERE action_id = ? ORDER BY id DESC LIMIT 1'),
    };
  }

  insert(action: ActionRecord): void {
    this.beforeWrite();
    this.stmts.insert.run({
      id: action.id,
      event_id: action.eventId,
      trigger: action.trigger,
      kind: action.kind,
      target_sealed: action.targetSealed,
      target_shown: action.targetShown,
      template: action.template,
      options_json: Object.keys(action.options).length === 0 ? null : JSON.stringify(action.options),
      created_at: action.createdAt,
    });
  }

  /** The event's actions, oldest first. */
  ofEvent(eventId: string): ActionRecord[] {
    return this.stmts.ofEvent.all(eventId).map(fromRow);
  }

  /** False when the event has no such action. */
  delete(eventId: string, actionId: string): boolean {
    this.beforeWrite();
    return this.stmts.delete.run(actionId, eventId).changes === 1;
  }

  recordResult(result: ActionResultRecord): void {
    this.beforeWrite();
    this.stmts.record.run(result);
  }

  resultsOf(jobId: string): ActionResultRecord[] {
    return this.stmts.ofJob.all(jobId).map(resultFromRow);
  }

  lastResult(actionId: string): ActionResultRecord | undefined {
    const row = this.stmts.lastOf.get(actionId);
    return row && resultFromRow(row);
  }
}
