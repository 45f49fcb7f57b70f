import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonOptions, startDaemon } from '../daemon';
import { homePaths } from '../home';
import { isCroniumDaemon, readPid } from '../instanceLock';
import { ShutdownRequest } from '../protocol/lifecycle';
import { DaemonClient, DaemonNotRunningError } from './client';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * Node flags of the daemon process. A small young generation keeps its resident memory low, and
 * every job's fork() copies page tables in proportion to it (~0.04 ms per MiB on a 2-core VM).
 */
export const DAEMON_NODE_ARGS = ['--max-semi-space-size=1'];

/** The daemon bundle sits next to the CLI bundle in dist/. */
export function daemonScript(): string {
  return join(__dirname, 'daemon.js');
}

/**
 * Runs the daemon in this process, as `cronium daemon start --foreground` does. The daemon bundle is
 * loaded at run time from its path, which esbuild cannot follow: the CLI bundle carries the protocol
 * client, not the daemon (its queue, store, executors and their dependencies).
 */
export function runDaemonInThisProcess(options: DaemonOptions): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: a run-time load, on purpose
  const bundle = require(daemonScript()) as { startDaemon: typeof startDaemon };
  return bundle.startDaemon(options);
}

/**
 * Connects to the daemon of `home`, starting it in the background first when none answers.
 * `onStart` is called once if a start was needed.
 */
export async function connectOrStart(home: string, clientName: string, onStart?: () => void): Promise<DaemonClient> {
  try {
    return await DaemonClient.connect(home, clientName);
  } catch (e) {
    if (!DaemonNotRunningError.is(e)) throw e;
  }
  onStart?.();
  await startDetached(home);
  return DaemonClient.connect(home, clientName);
}

/** Starts the daemon as a background process and waits until its socket answers. */
export async function startDetached(home: string): Promise<void> {
  const paths = homePaths(home);
  mkdirSync(paths.logsDir, { recursive: true, mode: 0o700 });
  const stderrFile = join(paths.logsDir, 'daemon.stderr.log');
  const fd = openSync(stderrFile, 'a', 0o600);
  const child = spawn(process.execPath, [...DAEMON_NODE_ARGS, daemonScript(), '--home', home], {
    detached: true,
    stdio: ['ignore', 'ignore', fd],
  });
  closeSync(fd);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      (await DaemonClient.connect(home, 'cronium-cli-probe')).close();
      return;
    } catch (e) {
      if (!DaemonNotRunningError.is(e)) throw e;
    }
    if (exited !== undefined && exited !== 0) {
      throw new Error(`The daemon did not start (exit ${exited}): ${tail(stderrFile)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`The daemon did not answer within ${START_TIMEOUT_MS / 1000} s; see ${paths.daemonLog}`);
}

/** Asks the daemon to shut down and waits until its process is gone. Returns false if none ran. */
export async function stopDaemon(home: string): Promise<{ wasRunning: boolean; pid?: number }> {
  const paths = homePaths(home);
  let client: DaemonClient;
  try {
    client = await DaemonClient.connect(home, 'cronium-cli');
  } catch (e) {
    if (DaemonNotRunningError.is(e)) return { wasRunning: false };
    throw e;
  }
  const pid = client.info.pid;
  await client.connection.sendRequest(ShutdownRequest);
  await client.closed();
  client.close();
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isCroniumDaemon(pid) && !(existsSync(paths.pidFile) && readPid(paths.pidFile) === pid)) {
      return { wasRunning: true, pid };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`The daemon (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s; kill it with \`kill ${pid}\``);
}

function tail(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return lines.slice(-5).join('\n') || '(no output)';
  } catch {
    return '(no output)';
  }
}
