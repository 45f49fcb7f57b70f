import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { errnoCode } from './errors';

/** Outcome of {@link acquireInstanceLock}. */
export type LockResult = { acquired: true; release: () => void } | { acquired: false; pid: number };

/**
 * One daemon per home: the pid file is created exclusively. A pid file whose process is gone, or is
 * not a Cronium daemon (pid reuse after a crash), is stale and replaced.
 */
export function acquireInstanceLock(pidFile: string): LockResult {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        acquired: true,
        release: () => {
          if (readPid(pidFile) === process.pid) unlinkSync(pidFile);
        },
      };
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    const holder = readPid(pidFile);
    if (holder !== undefined && holder !== process.pid && isCroniumDaemon(holder)) {
      return { acquired: false, pid: holder };
    }
    try {
      unlinkSync(pidFile);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
  }
  throw new Error(`Could not take the daemon lock ${pidFile}; remove it if no daemon is running`);
}

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and its command line is the Cronium daemon's. */
export function isCroniumDaemon(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('daemon.js') || cmdline.includes('daemon/main');
  } catch {
    // No /proc (not Linux): fall back to "is it alive".
    try {
      process.kill(pid, 0);
      return process.platform !== 'linux';
    } catch {
      return false;
    }
  }
}
