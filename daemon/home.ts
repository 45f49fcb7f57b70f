import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { homeFiles, type HomeFiles } from './client/homeLayout';

/** Every file the daemon keeps under `$CRONIUM_HOME`: those its clients know too, and its own. */
export interface HomePaths extends HomeFiles {
  /** Where local jobs' output connects (executors/spawner.ts). */
  spawnerSocket: string;
  /** Exists while warm container slots may exist (executors/container/warmPool.ts). */
  warmMarker: string;
  database: string;
  /** Private copies of the scripts of running jobs. */
  runDir: string;
  /** Default working directory of jobs that set none. */
  workDir: string;
  masterKey: string;
}

export function homePaths(root: string): HomePaths {
  return {
    ...homeFiles(root),
    spawnerSocket: join(root, 'spawner.sock'),
    warmMarker: join(root, 'warm-containers'),
    database: join(root, 'cronium.db'),
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
