import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh, short $CRONIUM_HOME (unix socket paths are limited to 107 bytes). */
export function makeTempHome(): string {
  return mkdtempSync(join(tmpdir(), 'cronium-'));
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

/** Writes a script into `dir` and returns its path. */
export function writeScript(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o755 });
  return path;
}

/** True when the home's SQLite files (database and write-ahead log) contain `text` as plain bytes. */
export function databaseContains(home: string, text: string): boolean {
  return ['cronium.db', 'cronium.db-wal'].some((file) => {
    try {
      return readFileSync(join(home, file)).includes(text);
    } catch {
      return false; // no WAL file at the moment
    }
  });
}
