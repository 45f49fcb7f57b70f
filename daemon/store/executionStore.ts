import type { Target } from '../protocol/dto';
import type { Db } from './database';
import {
  executionFromRow,
  type ExecutionOutcome,
  type ExecutionRecord,
  type ExecutionRow,
  type NewExecution,
  type StreamBytes,
} from './executionRecord';

/** Which execution, and whose: its job's status is derived again in the same transaction. */
export type ExecutionRef = Pick<ExecutionRecord, 'id' | 'jobId' | 'attempt' | 'serverId'>;

/** A first attempt on no particular server: its job's only execution, whose summary the trigger keeps. */
function alone(execution: ExecutionRef): boolean {
  return execution.attempt === 1 && execution.serverId === null;
}

const ACTIVE = "('claimed', 'running')";
const TERMINAL = "('succeeded', 'failed', 'cancelled', 'timed_out', 'partial')";

/**
 * Prepared statements for `executions`. Every change of an execution's status updates its job's
 * derived status in the same statement or transaction, so the two never disagree: for the job's only
 * execution a trigger copies it (migration 0003); for one of several, the job is derived again here.
 */
export class ExecutionStore {
  private readonly stmts;
  private readonly claimTx: (now: number) => ExecutionRow | undefined;
  private readonly runningTx: (execution: ExecutionRef, startedAt: number, handle: unknown) => boolean;
  private readonly finishTx: (execution: ExecutionRef, outcome: ExecutionOutcome) => boolean;

  constructor(
    db: Db,
    private readonly refreshJob: (jobId: string) => void,
    /** Called before each write: the daemon joins it to the turn's transaction (see TurnTransaction). */
    private readonly beforeWrite: () => void = () => undefined,
  ) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO executions (id, job_id, attempt, server_id, target, status, created_at)
         VALUES (@id, @jobId, @attempt, @serverId, @target, 'queued', @createdAt)`,
      ),
      get: db.prepare<[string], ExecutionRow>('SELECT * FROM executions WHERE id = ?'),
      // One statement, so an execution can never be claimed twice.
      insertDelayed: db.prepare(
        `INSERT INTO executions (id, job_id, attempt, server_id, target, status, created_at, not_before)
         VALUES (@id, @jobId, @attempt, @serverId, @target, 'queued', @createdAt, @notBefore)`,
      ),
      claimNext: db.prepare<[number, number], ExecutionRow>(
        `UPDATE executions SET status = 'claimed', claimed_at = ?
         WHERE id = (SELECT id FROM executions WHERE status = 'queued' AND (not_before IS NULL OR not_before <= ?) ORDER BY rowid LIMIT 1)
         RETURNING *`,
      ),
      nextDelayed: db.prepare<[number], { at: number | null }>(
        "SELECT min(not_before) AS at FROM executions WHERE status = 'queued' AND not_before > ?",
      ),
      resolve: db.prepare<[string, string | null, string | null, string]>(
        `UPDATE executions SET target = ?, options_json = ?, notice = ? WHERE id = ?`,
      ),
      markRunning: db.prepare<[number, string | null, string]>(
        `UPDATE executions SET status = 'running', started_at = ?, handle_json = ? WHERE id = ? AND status = 'claimed'`,
      ),
      progress: db.prepare<[number, number, number, string]>(
        'UPDATE executions SET log_lines = ?, stdout_bytes = ?, stderr_bytes = ? WHERE id = ?',
      ),
      setOutput: db.prepare<[string, string]>('UPDATE executions SET output_json = ? WHERE id = ?'),
      setCondition: db.prepare<[number, string]>('UPDATE executions SET condition = ? WHERE id = ?'),
      finish: db.prepare(
        `UPDATE executions SET status = @status, finished_at = @finishedAt, exit_code = @exitCode, signal = @signal,
                               last_error = @lastError, error_json = @errorJson, log_lines = @logLines
         WHERE id = @id AND status NOT IN ${TERMINAL}`,
      ),
      active: db.prepare<[], ExecutionRow>(`SELECT * FROM executions WHERE status IN ${ACTIVE} ORDER BY rowid`),
    };
    this.claimTx = db.transaction((now: number) => {
      const row = this.stmts.claimNext.get(now, now);
      if (row !== undefined && !(row.attempt === 1 && row.server_id === null)) this.refreshJob(row.job_id);
      return row;
    });
    this.runningTx = db.transaction((execution: ExecutionRef, startedAt: number, handle: unknown) => {
      const json = handle === undefined || handle === null ? null : JSON.stringify(handle);
      const changed = this.stmts.markRunning.run(startedAt, json, execution.id).changes === 1;
      if (changed) this.refreshJob(execution.jobId);
      return changed;
    });
    this.finishTx = db.transaction((execution: ExecutionRef, outcome: ExecutionOutcome) => {
      const { error, ...rest } = outcome;
      const changed =
        this.stmts.finish.run({ id: execution.id, ...rest, errorJson: error === null ? null : JSON.stringify(error) }).changes === 1;
      if (changed) this.refreshJob(execution.jobId);
      return changed;
    });
  }

  /** Adds a queued execution; the caller refreshes the job (it is usually inserted with it). */
  insert(execution: NewExecution): void {
    this.beforeWrite();
    this.stmts.insert.run(execution);
  }

  /** Adds a queued execution that may not start before `notBefore` (a retry waiting out its backoff). */
  insertDelayed(execution: NewExecution, notBefore: number): void {
    this.beforeWrite();
    this.stmts.insertDelayed.run({ ...execution, notBefore });
  }

  /** When the earliest retry that may not start yet at `now` may start (a due one is claimed as any other). */
  nextDelayed(now: number): number | undefined {
    return this.stmts.nextDelayed.get(now)?.at ?? undefined;
  }

  get(id: string): ExecutionRecord | undefined {
    const row = this.stmts.get.get(id);
    return row && executionFromRow(row);
  }

  /** Atomically moves the oldest queued execution to `claimed`. */
  claimNext(now: number): ExecutionRecord | undefined {
    this.beforeWrite();
    const row = this.claimTx(now);
    return row && executionFromRow(row);
  }

  /** Records where a claimed execution runs and with which of its executor's options. */
  resolve(id: string, target: Exclude<Target, 'auto'>, options: unknown, notice: string | undefined): void {
    this.beforeWrite();
    this.stmts.resolve.run(target, options === undefined || options === null ? null : JSON.stringify(options), notice ?? null, id);
  }

  /** Claimed → running, with the executor's handle to find it again. False when it was not claimed. */
  markRunning(execution: ExecutionRef, startedAt: number, handle: unknown): boolean {
    this.beforeWrite();
    if (!alone(execution)) return this.runningTx(execution, startedAt, handle);
    const json = handle === undefined || handle === null ? null : JSON.stringify(handle);
    return this.stmts.markRunning.run(startedAt, json, execution.id).changes === 1;
  }

  /** Lines and per-stream bytes stored so far, written with each log batch. */
  progress(id: string, logLines: number, bytes: StreamBytes): void {
    this.beforeWrite();
    this.stmts.progress.run(logLines, bytes.stdout, bytes.stderr, id);
  }

  setOutput(id: string, output: unknown): void {
    this.beforeWrite();
    this.stmts.setOutput.run(JSON.stringify(output ?? null), id);
  }

  setCondition(id: string, condition: boolean): void {
    this.beforeWrite();
    this.stmts.setCondition.run(condition ? 1 : 0, id);
  }

  /** Records how an execution ended. Returns false when it had already ended (the first outcome wins). */
  finish(execution: ExecutionRef, outcome: ExecutionOutcome): boolean {
    this.beforeWrite();
    if (!alone(execution)) return this.finishTx(execution, outcome);
    const { error, ...rest } = outcome;
    return this.stmts.finish.run({ id: execution.id, ...rest, errorJson: error === null ? null : JSON.stringify(error) }).changes === 1;
  }

  /** Executions that were claimed or running: after a crash, these are the ones nobody watches. */
  active(): ExecutionRecord[] {
    return this.stmts.active.all().map(executionFromRow);
  }
}
