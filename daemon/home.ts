import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Every file the daemon keeps under `$CRONIUM_HOME`. */
export interface HomePaths {
  root: string;
  socket: string;
  token: string;
  pidFile: string;
  /** Where local jobs' output connects (executors/spawner.ts). */
  spawnerSocket: string;
  /** Exists while warm container slots may exist (executors/container/warmPool.ts). */
  warmMarker: string;
  database: string;
  logsDir: string;
  daemonLog: string;
  /** Private copies of the scripts of running jobs. */
  runDir: string;
  /** Default working directory of jobs that set none. */
  workDir: string;
  masterKey: string;
}

/** `explicit`, else `$CRONIUM_HOME`, else `~/.cronium`. */
export function resolveHome(explicit?: string): string {
  const chosen = explicit ?? process.env.CRONIUM_HOME;
  return resolve(chosen && chosen.length > 0 ? chosen : join(homedir(), '.cronium'));
}

export function homePaths(root: string): HomePaths {
  const logsDir = join(root, 'logs');
  return {
    root,
    socket: join(root, 'daemon.sock'),
    token: join(root, 'daemon.token'),
    pidFile: join(root, 'daemon.pid'),
    spawnerSocket: join(root, 'spawner.sock'),
    warmMarker: join(root, 'warm-containers'),
    database: join(root, 'cronium.db'),
    logsDir,
    daemonLog: join(logsDir, 'daemon.log'),
    runDir: join(root, 'run'),
    workDir: join(root, 'work'),
    masterKey: join(root, 'master.key'),
  };
}

/** Unix socket paths longer than this cannot be bound (sun_path is 108 bytes on Linux). */
const MAX_SOCKET_PATH = 107;

export function ensureHome(paths: HomePaths): void {
  if (Buffer.byteLength(paths.socket) > MAX_SOCKET_PATH) {
    throw new Error(
      `CRONIUM_HOME is too long for a unix socket (${paths.socket}); choose a shorter folder with CRONIUM_HOME`,
    );
  }
  for (const dir of [paths.root, paths.logsDir, paths.runDir, paths.workDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
}
