import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The files of `$CRONIUM_HOME` that a client of the daemon touches. The daemon's own files
 * (database, key, run folders) are added in daemon/home.ts; these are the ones both sides agree on.
 */
export interface HomeFiles {
  root: string;
  /** The daemon's JSON-RPC socket. */
  socket: string;
  /** The secret every client sends in `lifecycle/initialize`. */
  token: string;
  /** Names the daemon process that holds the home (its instance lock). */
  pidFile: string;
  logsDir: string;
  daemonLog: string;
  /** What a daemon started in the background writes to stderr (before its own log is open, or when it dies). */
  daemonStderr: string;
}

/** `explicit`, else `$CRONIUM_HOME`, else `~/.cronium`; `~/` at the start is the user's home folder. */
export function resolveHome(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = explicit?.trim() || env.CRONIUM_HOME?.trim();
  if (!chosen) return resolve(join(homedir(), '.cronium'));
  return resolve(chosen.replace(/^~(?=\/|$)/, homedir()));
}

export function homeFiles(root: string): HomeFiles {
  const logsDir = join(root, 'logs');
  return {
    root,
    socket: join(root, 'daemon.sock'),
    token: join(root, 'daemon.token'),
    pidFile: join(root, 'daemon.pid'),
    logsDir,
    daemonLog: join(logsDir, 'daemon.log'),
    daemonStderr: join(logsDir, 'daemon.stderr.log'),
  };
}
