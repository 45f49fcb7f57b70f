// Shared by the helper tests: runs a real script as a child process against the fake runtime API.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const HELPERS = resolve(__dirname, '..');
export const CRONIUM_JS = join(HELPERS, 'cronium.js');
export const CRONIUM_PY = join(HELPERS, 'cronium.py');
export const CRONIUM_SH = join(HELPERS, 'cronium.sh');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `command args` with exactly `env` (plus PATH unless given), killing it after `timeoutMs`. */
export function run(command: string, args: string[], env: Record<string, string | undefined>, timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((done, fail) => {
    const started = Date.now();
    const child = spawn(command, args, {
      // No .pyc files next to the helpers in the checkout.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PYTHONDONTWRITEBYTECODE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A temporary directory for scripts; remove it with `rmSync(dir, {recursive: true})`. */
export function scriptDir(): { dir: string; write(name: string, text: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cronium-helpers-'));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: 0o755 });
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Parses each stdout line that looks like JSON. */
export function jsonLines(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{') || l.startsWith('['))
    .map((l) => JSON.parse(l) as unknown);
}
