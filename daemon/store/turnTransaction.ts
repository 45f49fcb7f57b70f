import type { Db } from './database';

/**
 * The writes of one event-loop turn in one SQLite transaction. In one turn the daemon often records
 * several changes (a job stored, another claimed, a third's end, log lines), and a commit of each wrote
 * the same pages to the WAL again. A store's write calls {@link join}; the transaction commits at the
 * end of the turn, or earlier through {@link commit} wherever something leaves the daemon that must not
 * run ahead of the store: a message to a client, a job's process being started, a runtime API answer,
 * the database's close. So a daemon killed mid-turn loses only changes nobody has heard of yet.
 */
export class TurnTransaction {
  private open = false;
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly db: Db,
    /** A commit that failed: the turn's writes were rolled back. */
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Makes the statements that follow part of this turn's transaction (unless one is open already). */
  join(): void {
    if (this.db.inTransaction) return;
    this.db.exec('BEGIN');
    this.open = true;
    this.scheduled ??= setImmediate(() => this.commit());
  }

  /** Commits what this turn wrote so far. */
  commit(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (!this.open) return;
    this.open = false;
    // A statement that failed with a full disk or I/O error may have rolled the transaction back itself.
    if (!this.db.inTransaction) return;
    try {
      this.db.exec('COMMIT');
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.onError(e);
    }
  }
}
