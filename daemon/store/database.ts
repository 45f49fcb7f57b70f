import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import m0001 from './migrations/0001_init.sql';
import m0002 from './migrations/0002_runtime_api.sql';
import m0003 from './migrations/0003_executions.sql';
import m0004 from './migrations/0004_events.sql';
import m0005 from './migrations/0005_event_actions.sql';
import m0006 from './migrations/0006_script_hash.sql';
import m0007 from './migrations/0007_retries.sql';
import m0008 from './migrations/0008_workflows.sql';
import m0009 from './migrations/0009_servers.sql';

/** The daemon's SQLite connection. Only `store/` imports better-sqlite3. */
export type Db = Database.Database;

/** Migrations in order; a landed migration is never edited, a change is a new file. */
const MIGRATIONS: readonly string[] = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009];

/**
 * The packaged extension carries better-sqlite3 built for several Node.js ABIs (build-native.mjs puts
 * them in dist/native/node-v<ABI>/): the one for the Node this daemon runs on, if there is one. Else
 * better-sqlite3 finds its own build in node_modules.
 */
export function nativeBindingFor(abi: string = process.versions.modules, distDir: string = __dirname): string | undefined {
  const file = join(distDir, 'native', `node-v${abi}`, 'better_sqlite3.node');
  return existsSync(file) ? file : undefined;
}

/** What to do about a native module that does not fit this Node.js, in words. */
function abiAdvice(distDir: string = __dirname): string {
  const names: Record<string, string> = { '115': '20', '127': '22', '137': '24' };
  let abis: string[] = [];
  try {
    abis = readdirSync(join(distDir, 'native')).map((dir) => dir.replace(/^node-v/, ''));
  } catch {
    // a development checkout: only the module npm built
  }
  if (abis.length === 0) return 'run the daemon with the Node.js that installed it, or rebuild it: npm rebuild better-sqlite3';
  const majors = abis.map((abi) => names[abi] ?? `ABI ${abi}`).sort();
  const list = majors.length === 1 ? majors[0] : `${majors.slice(0, -1).join(', ')} or ${majors[majors.length - 1]}`;
  return `run the daemon with Node.js ${list} (setting cronium.daemon.nodePath)`;
}

export function openDatabase(file: string): Db {
  const nativeBinding = nativeBindingFor();
  let db: Db;
  try {
    db = new Database(file, nativeBinding === undefined ? {} : { nativeBinding });
  } catch (e) {
    if (e instanceof Error && /NODE_MODULE_VERSION|invalid ELF|wrong ELF class|Could not locate the bindings file/.test(e.message)) {
      throw new Error(
        `Cronium's SQLite module (better-sqlite3) is not built for Node.js ${process.version} (ABI ${process.versions.modules}); ` +
          abiAdvice(),
        { cause: e },
      );
    }
    throw e;
  }
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
