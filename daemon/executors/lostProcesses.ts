import { processesWithEnv, processStartTime, processStat } from './processGroup';

/** A lost execution as recovery sees it: plain values, whatever the executor interface carries. */
export interface LostProcessQuery {
  /** CRONIUM_EXECUTION_ID in the environment of every process of the execution. */
  executionId: string;
  /** The group leader the previous daemon recorded and its start time; null when it died before that. */
  pid: number | null;
  pidStart: string | null;
}

/** What {@link endLostProcesses} did for one execution. */
export interface LostProcessOutcome {
  executionId: string;
  /** Processes it sent SIGKILL to, each with its process group. */
  killed: number[];
  /** Processes still alive when it stopped waiting (another user's after a setuid, stuck in the kernel). */
  left: number[];
}

/** The environment entry that marks every process of an execution, children included. */
export function executionEnvEntry(executionId: string): string {
  return `CRONIUM_EXECUTION_ID=${executionId}`;
}

const POLL_MS = 20;
const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Ends every process of executions a dead daemon left, and resolves once they are gone, so their end
 * is recorded only when nothing of them runs. The recorded pid alone misses too much: the process may
 * exist before the pid was recorded, and once the leader is gone its children live on unnoticed; so
 * processes are found by the execution id in their environment, and the recorded leader's group is
 * killed too while it is still the same process (a pid is reused, its start time is not).
 */
export async function endLostProcesses(
  lost: readonly LostProcessQuery[],
  options: { timeoutMs?: number } = {},
): Promise<LostProcessOutcome[]> {
  const entries = new Map(lost.map((job) => [executionEnvEntry(job.executionId), job.executionId]));
  const leaders = new Map<string, { pid: number; pidStart: string }>();
  for (const job of lost) {
    if (job.pid !== null && job.pidStart !== null) leaders.set(job.executionId, { pid: job.pid, pidStart: job.pidStart });
  }
  const ended = await endMarkedProcesses(new Set(entries.keys()), { ...options, leaders: mapKeys(leaders, executionEnvEntry) });
  return lost.map((job) => {
    const found = ended.get(executionEnvEntry(job.executionId));
    return { executionId: job.executionId, killed: found?.killed ?? [], left: found?.left ?? [] };
  });
}

/**
 * SIGKILLs the process group of every live process of this user whose environment holds one of
 * `entries`, and of each still identical `leaders` entry, until none is left or `timeoutMs` passed.
 * Scans again after each round: a process may fork while its group is killed, or be started by a
 * process killed in the same round. Zombies count as gone (init may reap orphans late).
 */
export async function endMarkedProcesses(
  entries: ReadonlySet<string>,
  options: {
    leaders?: ReadonlyMap<string, { pid: number; pidStart: string }>;
    /** Pids never signalled (the daemon's own spawner). */
    keep?: ReadonlySet<number>;
    timeoutMs?: number;
  } = {},
): Promise<Map<string, { killed: number[]; left: number[] }>> {
  const result = new Map<string, { killed: Set<number>; left: number[] }>();
  const outcome = (entry: string): { killed: Set<number>; left: number[] } => {
    let found = result.get(entry);
    if (found === undefined) result.set(entry, (found = { killed: new Set(), left: [] }));
    return found;
  };
  const own = processStat(process.pid);
  // A daemon started from a job would carry the job's marker: never signal our own group or session.
  const spared = (pgrp: number): boolean => pgrp <= 1 || pgrp === own?.pgrp || pgrp === own?.session;
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  for (;;) {
    const alive = new Map<string, number[]>();
    for (const [entry, leader] of options.leaders ?? []) {
      const stat = processStat(leader.pid);
      // The same process (not a reused pid), not yet dead: it still leads the job's group and session.
      if (stat !== undefined && stat.state !== 'Z' && processStartTime(leader.pid) === leader.pidStart) {
        alive.set(entry, [leader.pid]);
      }
    }
    for (const [entry, pids] of processesWithEnv(entries)) {
      alive.set(entry, [...(alive.get(entry) ?? []), ...pids.filter((pid) => !options.keep?.has(pid))]);
    }
    const pending = [...alive].filter(([, pids]) => pids.length > 0);
    if (pending.length === 0 || Date.now() > deadline) {
      for (const [entry, pids] of pending) outcome(entry).left.push(...new Set(pids));
      break;
    }
    for (const [entry, pids] of pending) {
      for (const pid of pids) {
        const pgrp = processStat(pid)?.pgrp;
        // The group first: it holds what the process started that stayed in it.
        if (pgrp !== undefined && !spared(pgrp)) signalQuietly(-pgrp);
        signalQuietly(pid);
        outcome(entry).killed.add(pid);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return new Map([...result].map(([entry, found]) => [entry, { killed: [...found.killed], left: found.left }]));
}

/** SIGKILL to a pid (or a group, negative); one that is gone or not ours is left to the next scan. */
function signalQuietly(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // ESRCH: already gone. EPERM: another user's now (setuid); it stays in `left`.
  }
}

function mapKeys<V>(map: ReadonlyMap<string, V>, key: (k: string) => string): Map<string, V> {
  return new Map([...map].map(([k, v]) => [key(k), v]));
}
