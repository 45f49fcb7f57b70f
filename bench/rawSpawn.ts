import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** The trivial job of the overhead and throughput benchmarks. */
export const TRIVIAL_SCRIPT = '#!/bin/bash\ntrue\n';

/** Writes a script into `dir` and returns its path. */
export function writeBenchScript(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o755 });
  return path;
}

/**
 * Where the raw baseline's output goes: `pipe` reads stdout and stderr like the daemon does (so the
 * baseline pays for pipes too and the comparison isolates the daemon's own work); a number is a file
 * descriptor that receives stdout directly.
 */
export type RawOutput = 'pipe' | number;

/**
 * Spawns `bash file` from this process and resolves with the milliseconds until it has exited and
 * its output is closed. A non-zero exit rejects: a broken baseline must not flatter the daemon.
 */
export function spawnBash(file: string, output: RawOutput = 'pipe'): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [file], {
      stdio: output === 'pipe' ? ['ignore', 'pipe', 'pipe'] : ['ignore', output, 'ignore'],
    });
    child.stdout?.resume();
    child.stderr?.resume();
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const elapsed = performance.now() - started;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`raw bash ${file} ended with ${signal ?? `exit code ${code}`}`));
    });
  });
}

/** Runs `count` raw spawns with at most `concurrency` in flight; resolves with the total wall time in ms. */
export async function spawnBashPool(file: string, count: number, concurrency: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      await spawnBash(file);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return performance.now() - started;
}
