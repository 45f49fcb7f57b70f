import type { Db } from './database';

/** A variable row; `value` is JSON text, sealed when `secret`. */
export interface VariableRow {
  key: string;
  value: string;
  secret: number;
  description: string | null;
  created_at: number;
  updated_at: number;
}

/** Prepared statements for `variables`. */
export class VariableStore {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      get: db.prepare<[string], VariableRow>('SELECT * FROM variables WHERE key = ?'),
      list: db.prepare<[], VariableRow>('SELECT * FROM variables ORDER BY key'),
      secrets: db.prepare<[], VariableRow>('SELECT * FROM variables WHERE secret = 1'),
      upsert: db.prepare(
        `INSERT INTO variables (key, value, secret, description, created_at, updated_at)
         VALUES (@key, @value, @secret, @description, @now, @now)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, secret = excluded.secret,
           description = coalesce(excluded.description, variables.description), updated_at = excluded.updated_at`,
      ),
      delete: db.prepare<[string]>('DELETE FROM variables WHERE key = ?'),
    };
  }

  get(key: string): VariableRow | undefined {
    return this.stmts.get.get(key);
  }

  list(): VariableRow[] {
    return this.stmts.list.all();
  }

  secrets(): VariableRow[] {
    return this.stmts.secrets.all();
  }

  upsert(row: { key: string; value: string; secret: boolean; description: string | null }): void {
    this.stmts.upsert.run({ ...row, secret: row.secret ? 1 : 0, now: Date.now() });
  }

  delete(key: string): boolean {
    return this.stmts.delete.run(key).changes === 1;
  }
}
