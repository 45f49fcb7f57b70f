import { linkSync, renameSync, unlinkSync } from 'node:fs';
import { isCroniumDaemon, readPid } from './client/pidFile';
import { errnoCode } from './errors';
import { createFileExclusive } from './exclusiveFile';

/** Outcome of {@link acquireInstanceLock}. */
export type LockResult = { acquired: true; release: () => void } | { acquired: false; pid: number };

/**
 * One daemon per home: the pid file is created exclusively. A pid file whose process is gone, or is
 * not a Cronium daemon (pid reuse after a crash), is stale and replaced.
 */
export function acquireInstanceLock(pidFile: string): LockResult {
  for (let attempt = 0; attempt < 5; attempt++) {
    // The pid file appears with its content in one step, so a reader never takes a lock being
    // written for a stale one.
    if (createFileExclusive(pidFile, `${process.pid}\n`, 0o600)) {
      return {
        acquired: true,
        release: () => {
          if (readPid(pidFile) === process.pid) unlinkSync(pidFile);
        },
      };
    }
    const holder = readPid(pidFile);
    if (holder !== undefined && holder !== process.pid && isCroniumDaemon(holder)) {
      return { acquired: false, pid: holder };
    }
    const taken = removeStale(pidFile, holder);
    if (taken !== undefined) return { acquired: false, pid: taken };
  }
  throw new Error(`Could not take the daemon lock ${pidFile}; remove it if no daemon is running`);
}

/**
 * Removes a pid file judged stale. Another starter may have replaced it since it was read, so it
 * is first moved aside and checked: a live daemon's lock moved by mistake is put back, and its pid
 * returned.
 */
function removeStale(pidFile: string, stalePid: number | undefined): number | undefined {
  const aside = `${pidFile}.${process.pid}.stale`;
  try {
    renameSync(pidFile, aside);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const moved = readPid(aside);
    if (moved === undefined || moved === stalePid || !isCroniumDaemon(moved)) return undefined;
    try {
      linkSync(aside, pidFile);
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    return moved;
  } finally {
    unlinkSync(aside);
  }
}
