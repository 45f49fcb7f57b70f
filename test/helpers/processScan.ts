import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A live process found by {@link processesWithEnv}. */
export interface FoundProcess {
  pid: number;
  /** Its command line, spaces between the arguments. */
  command: string;
  /** State letter, parent, process group, where it sleeps and its open files: why it is still there. */
  detail: string;
}

/**
 * Live (non-zombie) processes of this user whose initial environment holds `entry` exactly
 * (`NAME=value`). Children inherit the environment, so this finds everything a job started, wherever
 * it went (another process group, reparented to init), which a recorded pid cannot.
 */
export function processesWithEnv(entry: string): FoundProcess[] {
  const found: FoundProcess[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      // A zombie's environment reads empty, so it is never matched; another user's is EACCES.
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (!environ.split('\0').includes(entry)) continue;
      const raw = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const [state, ppid, pgrp] = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
      const wchan = readQuietly(`/proc/${pid}/wchan`);
      found.push({ pid, command, detail: `state ${state}, ppid ${ppid}, pgrp ${pgrp}, wchan ${wchan}, fds ${fdTargets(pid)}` });
    } catch {
      // Gone while we looked, or not ours.
    }
  }
  return found;
}

/** SIGKILLs every process {@link processesWithEnv} finds, so a failed round leaves nothing behind. */
export function killProcessesWithEnv(entry: string): void {
  for (const { pid } of processesWithEnv(entry)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function readQuietly(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '?';
  }
}

/** "0→/dev/null 1→socket:[123] …" */
function fdTargets(pid: number): string {
  try {
    return readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return `${fd}→${readlinkSync(`/proc/${pid}/fd/${fd}`)}`;
        } catch {
          return `${fd}→?`;
        }
      })
      .join(' ');
  } catch {
    return '?';
  }
}
