import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { errnoCode } from '../errors';

/**
 * Lowers a job's CPU priority to `nice`: the process's own (its children inherit it), and its session's
 * autogroup, which is what the scheduler weighs against the daemon's where autogroups are on (each job
 * leads a session of its own). Best effort: a process that is already gone, or a kernel without
 * autogroups, is no error.
 */
export function deprioritize(pid: number, nice: number): void {
  if (nice <= 0) return;
  try {
    setPriority(pid, nice);
  } catch {
    // gone already
  }
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch {
    // no autogroups (CONFIG_SCHED_AUTOGROUP off), or gone
  }
}

/** Sends `signal` to every process of the group led by `pgid`. Returns false when none is left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ESRCH') return false;
    throw e;
  }
}

/** True while any process of the group is alive. */
export function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0);
}

/**
 * Start time of a process (field 22 of /proc/PID/stat, in clock ticks since boot). Together with the
 * pid it names one process for good: a pid reused after a crash has another start time.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** What /proc/PID/stat says of a process: its state letter, process group and session. */
export interface ProcessStat {
  state: string;
  pgrp: number;
  session: number;
}

export function processStat(pid: number): ProcessStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], pgrp: Number(fields[2]), session: Number(fields[3]) };
  } catch {
    return undefined;
  }
}

/**
 * True while the process runs. A zombie has ended (only its exit status waits for a parent, which
 * for an orphan is an init that may reap late): it counts as gone.
 */
export function processLive(pid: number): boolean {
  const stat = processStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** Pids in /proc, that is every process this one can see. */
export function allPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0) pids.push(pid);
  }
  return pids;
}

/**
 * Live processes of the group: unlike {@link groupAlive}, zombies do not count, so this tells when
 * a killed group has really ended.
 */
export function liveGroupMembers(pgid: number): number[] {
  return allPids().filter((pid) => {
    const stat = processStat(pid);
    return stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z';
  });
}

/**
 * Live processes of this user whose initial environment holds one of `entries` (`NAME=value`),
 * by entry. Children inherit the environment, so this finds what a job started wherever it went:
 * another process group or session, reparented to init after its leader died.
 */
export function processesWithEnv(entries: ReadonlySet<string>): Map<string, number[]> {
  const found = new Map<string, number[]>();
  if (entries.size === 0) return found;
  const uid = process.getuid?.();
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    let environ: string;
    try {
      // Only our own processes: root could read everyone's, and others' are none of our business.
      if (uid !== undefined && statSync(`/proc/${pid}`).uid !== uid) continue;
      // A zombie's environment reads empty: it is never matched.
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue; // gone while we looked
    }
    for (const entry of environ.split('\0')) {
      if (!entries.has(entry)) continue;
      const pids = found.get(entry) ?? [];
      pids.push(pid);
      found.set(entry, pids);
      break;
    }
  }
  return found;
}
