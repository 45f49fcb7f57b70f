import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { ShutdownRequest } from '../protocol/lifecycle';
import { DaemonClient } from './daemonClient';
import { DaemonDidNotStopError, DaemonNotRunningError, DaemonStartError, DaemonUnresponsiveError } from './errors';
import { homeFiles } from './homeLayout';
import { isCroniumDaemon, readPid } from './pidFile';

/** How long a daemon started in the background may take to answer. */
export const START_TIMEOUT_MS = 15_000;
/** How long a daemon asked to stop may take to end its jobs and exit. */
export const STOP_TIMEOUT_MS = 30_000;

/**
 * Node flags of the daemon process. A small young generation keeps its resident memory low, and
 * every job's fork() copies page tables in proportion to it (~0.04 ms per MiB on a 2-core VM).
 */
export const DAEMON_NODE_ARGS = ['--max-semi-space-size=1'];

/** How to run a daemon: which Node.js, which bundle. */
export interface DaemonLaunch {
  /** Node.js ≥ 20 that runs the daemon (the editor's own runtime cannot load its SQLite module). */
  node: string;
  /** dist/daemon.js. */
  script: string;
}

export interface StartOptions extends DaemonLaunch {
  home: string;
  clientName: string;
  timeoutMs?: number;
}

/**
 * Starts the daemon of `home` detached (it outlives its starter) and returns the first connection that
 * initializes. Throws {@link DaemonStartError} with the tail of its stderr when it cannot run or exits,
 * {@link DaemonUnresponsiveError} when it listens but never answers.
 */
export async function startDetached(options: StartOptions): Promise<DaemonClient> {
  const { home, node } = options;
  const timeoutMs = options.timeoutMs ?? START_TIMEOUT_MS;
  const files = homeFiles(home);
  mkdirSync(files.logsDir, { recursive: true, mode: 0o700 });
  const fd = openSync(files.daemonStderr, 'a', 0o600);
  const child = spawn(node, [...DAEMON_NODE_ARGS, options.script, '--home', home], {
    detached: true,
    stdio: ['ignore', 'ignore', fd],
  });
  closeSync(fd);
  let exited: number | null | undefined;
  let spawnError: Error | undefined;
  child.once('exit', (code) => (exited = code));
  child.once('error', (e) => (spawnError = e));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  let silent = false;
  while (Date.now() < deadline) {
    if (spawnError) throw new DaemonStartError(`Could not run ${node}: ${spawnError.message}`, home, undefined);
    try {
      return await DaemonClient.connect(home, options.clientName, { timeoutMs: Math.max(500, Math.min(5000, deadline - Date.now())) });
    } catch (e) {
      // A daemon still opening its database on a busy machine may listen before it answers: keep trying.
      if (DaemonUnresponsiveError.is(e)) silent = true;
      else if (!DaemonNotRunningError.is(e)) throw e;
    }
    // Exit code 0 means another daemon won the home's lock between our probe and our start: keep polling.
    if (exited !== undefined && exited !== 0) {
      const stderr = tail(files.daemonStderr);
      throw new DaemonStartError(`The Cronium daemon exited while starting (code ${exited}): ${stderr ?? '(no output)'}`, home, stderr);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  if (silent) throw new DaemonUnresponsiveError({ home, waitedMs: timeoutMs });
  throw new DaemonStartError(`The Cronium daemon did not answer within ${timeoutMs / 1000} s of its start`, home, tail(files.daemonStderr));
}

/**
 * Connects to the daemon of `home`, starting it in the background first when none answers.
 * `onStart` is called once if a start was needed.
 */
export async function connectOrStart(options: StartOptions & { onStart?: () => void }): Promise<DaemonClient> {
  try {
    return await DaemonClient.connect(options.home, options.clientName);
  } catch (e) {
    if (!DaemonNotRunningError.is(e)) throw e;
  }
  options.onStart?.();
  return startDetached(options);
}

/**
 * Asks the daemon of `home` to shut down (through `client` when one is connected) and waits until its
 * process is gone. Resolves `{ wasRunning: false }` when none ran; throws {@link DaemonDidNotStopError}
 * when it is still there after `timeoutMs`.
 */
export async function stopDaemon(options: {
  home: string;
  clientName: string;
  client?: DaemonClient;
  timeoutMs?: number;
}): Promise<{ wasRunning: false } | { wasRunning: true; pid: number }> {
  const timeoutMs = options.timeoutMs ?? STOP_TIMEOUT_MS;
  let client = options.client;
  if (client === undefined) {
    try {
      client = await DaemonClient.connect(options.home, options.clientName);
    } catch (e) {
      if (DaemonNotRunningError.is(e)) return { wasRunning: false };
      throw e;
    }
  }
  const { pid } = client.info;
  const deadline = Date.now() + timeoutMs;
  await client.request(ShutdownRequest);
  // It closes every connection once its jobs have ended (after their kill grace).
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void client.closed.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  client.close();
  const pidFile = homeFiles(options.home).pidFile;
  // Gone once its pid file no longer names it and no daemon runs under its pid.
  while (Date.now() < deadline) {
    if (readPid(pidFile) !== pid && !isCroniumDaemon(pid)) return { wasRunning: true, pid };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new DaemonDidNotStopError(pid, timeoutMs);
}

/** The last lines of a file, joined with ` | `; undefined when it has none. */
function tail(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ') || undefined;
  } catch {
    return undefined;
  }
}
