import type { Db } from './database';

const TERMINAL = "('succeeded', 'failed', 'cancelled', 'timed_out', 'partial')";

/** Deletes finished jobs, with their executions and log lines, in small transactions so the daemon stays responsive. */
export class RetentionStore {
  private readonly pruneBatch: (cutoff: number, limit: number) => number;

  constructor(db: Db) {
    const pick = db.prepare<[number, number], { id: string }>(
      `SELECT id FROM jobs WHERE status IN ${TERMINAL} AND finished_at < ? ORDER BY finished_at LIMIT ?`,
    );
    const deleteLogs = db.prepare<[string]>(
      'DELETE FROM execution_logs WHERE execution_id IN (SELECT id FROM executions WHERE job_id = ?)',
    );
    const deleteExecutions = db.prepare<[string]>('DELETE FROM executions WHERE job_id = ?');
    const deleteJob = db.prepare<[string]>('DELETE FROM jobs WHERE id = ?');
    this.pruneBatch = db.transaction((cutoff: number, limit: number) => {
      const ids = pick.all(cutoff, limit).map((row) => row.id);
      for (const id of ids) {
        deleteLogs.run(id);
        deleteExecutions.run(id);
        deleteJob.run(id);
      }
      return ids.length;
    });
  }

  /** Deletes up to `limit` jobs that finished before `cutoff`; returns how many. */
  pruneFinishedBefore(cutoff: number, limit: number): number {
    return this.pruneBatch(cutoff, limit);
  }
}
