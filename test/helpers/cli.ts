import { spawn } from 'node:child_process';
import { CLI_JS } from './daemonProcess';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cronium ARGS` as a user would, on the given home; `input` is piped to its stdin (default: none). */
export function cronium(
  home: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const spawnOptions = { cwd: options.cwd, env: { ...process.env, CRONIUM_HOME: home, ...options.env } };
    const argv = [CLI_JS, ...args];
    const child =
      options.input === undefined
        ? spawn(process.execPath, argv, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(process.execPath, argv, { ...spawnOptions, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin?.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
