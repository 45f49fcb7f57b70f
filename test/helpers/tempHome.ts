import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
