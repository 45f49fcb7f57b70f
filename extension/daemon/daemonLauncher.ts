import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectDaemon, DaemonNotRunningError, DaemonUnresponsiveError, homeFiles, type DaemonClient } from './daemonClient';
import { describeNodeProblem, MIN_NODE_MAJOR, parseNodeMajor } from './nodeVersion';

const START_TIMEOUT_MS = 15_000;

/** Same flags as daemon/cli/daemonControl.ts (DAEMON_NODE_ARGS): a small young generation keeps forks cheap. */
const DAEMON_NODE_ARGS = ['--max-semi-space-size=1'];

/** No usable Node.js ≥ 20 was found; the extension host's own runtime cannot load better-sqlite3. */
export class NodeNotFoundError extends Error {
  constructor(readonly reasons: string[]) {
    super(`Cronium needs Node.js ${MIN_NODE_MAJOR} or newer to run its daemon: ${reasons.join('; ')}. Set cronium.daemon.nodePath.`);
    this.name = 'NodeNotFoundError';
  }

  static is(e: unknown): e is NodeNotFoundError {
    return e instanceof NodeNotFoundError;
  }
}

/** The daemon process exited or stayed silent while starting. */
export class DaemonStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DaemonStartError';
  }

  static is(e: unknown): e is DaemonStartError {
    return e instanceof DaemonStartError;
  }
}

/** Returns the first of `configured` or `node` (on PATH) that is Node.js ≥ 20. */
export async function findNode(configured: string | undefined): Promise<string> {
  const candidates = configured ? [configured] : ['node'];
  const reasons: string[] = [];
  for (const command of candidates) {
    const output = await versionOf(command);
    const major = output === undefined ? undefined : parseNodeMajor(output);
    if (major !== undefined && major >= MIN_NODE_MAJOR) return command;
    reasons.push(describeNodeProblem(command, output));
  }
  throw new NodeNotFoundError(reasons);
}

function versionOf(command: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, ['-v'], { timeout: 5000 }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

/**
 * Starts `daemonScript` detached with `node`, exactly like `cronium daemon start`, and returns the first
 * connection that initializes. Detached and unref'd so that closing every window leaves it running.
 */
export async function startDaemon(node: string, daemonScript: string, home: string): Promise<DaemonClient> {
  const files = homeFiles(home);
  mkdirSync(files.logsDir, { recursive: true, mode: 0o700 });
  const stderrFile = join(files.logsDir, 'daemon.stderr.log');
  const fd = openSync(stderrFile, 'a', 0o600);
  const child = spawn(node, [...DAEMON_NODE_ARGS, daemonScript, '--home', home], {
    detached: true,
    stdio: ['ignore', 'ignore', fd],
  });
  closeSync(fd);
  let exited: number | null | undefined;
  let spawnError: Error | undefined;
  child.once('exit', (code) => (exited = code));
  child.once('error', (e) => (spawnError = e));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  let silent: DaemonUnresponsiveError | undefined;
  while (Date.now() < deadline) {
    if (spawnError) throw new DaemonStartError(`Could not run ${node}: ${spawnError.message}`);
    try {
      return await connectDaemon(home, 'vscode', Math.max(500, Math.min(5000, deadline - Date.now())));
    } catch (e) {
      // A daemon still opening its database on a busy machine may listen before it answers: keep trying.
      if (DaemonUnresponsiveError.is(e)) silent = e;
      else if (!DaemonNotRunningError.is(e)) throw e;
    }
    // Exit code 0 means another daemon won the home's lock between our probe and our start: keep polling.
    if (exited !== undefined && exited !== 0) {
      throw new DaemonStartError(`The Cronium daemon exited while starting (code ${exited}): ${tail(stderrFile)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  if (silent) throw new DaemonUnresponsiveError(home, START_TIMEOUT_MS);
  throw new DaemonStartError(`The Cronium daemon did not answer within ${START_TIMEOUT_MS / 1000} s; see ${files.daemonLog}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ') || '(no output)';
  } catch {
    return '(no output)';
  }
}
