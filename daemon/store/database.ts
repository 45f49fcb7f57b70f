import Database from 'better-sqlite3';
import m0001 from './migrations/0001_init.sql';
import m0002 from './migrations/0002_runtime_api.sql';

/** The daemon's SQLite connection. Only `store/` imports better-sqlite3. */
export type Db = Database.Database;

/** Migrations in order; a landed migration is never edited, a change is a new file. */
const MIGRATIONS: readonly string[] = [m0001, m0002];

export function openDatabase(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL is durable against process crashes in WAL mode; only a power loss can drop the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `The database was written by a newer Cronium (schema ${current}, this one knows ${MIGRATIONS.length}); upgrade Cronium`,
    );
  }
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1]);
      db.pragma(`user_version = ${version}`);
    })();
  }
}
