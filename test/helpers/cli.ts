import { spawn } from 'node:child_process';
import { CLI_JS } from './daemonProcess';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cronium ARGS` as a user would, on the given home. */
export function cronium(home: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_JS, ...args], {
      cwd: options.cwd,
      env: { ...process.env, CRONIUM_HOME: home, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
