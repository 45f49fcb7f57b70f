import { readdirSync, readFileSync } from 'node:fs';

/** Linux-only readers of /proc: the numbers the kernel keeps about the daemon, not what it says of itself. */

const KIB = 1024;
export const MIB = 1024 * 1024;
/** USER_HZ: 100 on every Linux architecture Node runs on, so /proc CPU times have 10 ms resolution. */
const CLOCK_TICKS_PER_SECOND = 100;

/** A `Name:\tvalue` field of /proc/<pid>/status (or a task's status) as a number; undefined if absent. */
function statusField(statusText: string, name: string): number | undefined {
  const match = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(statusText);
  return match === null ? undefined : Number(match[1]);
}

function readStatus(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // The process or thread ended between listing and reading.
    return undefined;
  }
}

/** Resident set size now, in bytes. */
export function rssBytes(pid: number): number {
  const status = readStatus(`/proc/${pid}/status`);
  const kib = status === undefined ? undefined : statusField(status, 'VmRSS');
  if (kib === undefined) throw new Error(`Cannot read VmRSS of pid ${pid}: has the daemon exited?`);
  return kib * KIB;
}

/** The kernel's high-water mark of resident memory (VmHWM), in bytes. */
export function peakRssBytes(pid: number): number {
  const status = readStatus(`/proc/${pid}/status`);
  const kib = status === undefined ? undefined : statusField(status, 'VmHWM');
  if (kib === undefined) throw new Error(`Cannot read VmHWM of pid ${pid}: has the daemon exited?`);
  return kib * KIB;
}

/** Where resident memory sits: anonymous (heap, stacks) vs file-backed (mostly the node binary, shared). */
export interface MemoryBreakdown {
  rssBytes: number;
  anonBytes: number;
  fileBytes: number;
  /** Proportional set size: shared pages divided among the processes mapping them. */
  pssBytes: number | undefined;
}

export function memoryBreakdown(pid: number): MemoryBreakdown {
  const status = readStatus(`/proc/${pid}/status`) ?? '';
  const rollup = readStatus(`/proc/${pid}/smaps_rollup`);
  const pss = rollup === undefined ? undefined : statusField(rollup, 'Pss');
  return {
    rssBytes: (statusField(status, 'VmRSS') ?? 0) * KIB,
    anonBytes: (statusField(status, 'RssAnon') ?? 0) * KIB,
    fileBytes: (statusField(status, 'RssFile') ?? 0) * KIB,
    pssBytes: pss === undefined ? undefined : pss * KIB,
  };
}

/** CPU time (user + system) the process itself has used, in ms; its children are not included. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Context switches of one thread: each one is the thread going to sleep or being woken. */
export interface ThreadSwitches {
  tid: number;
  name: string;
  switches: number;
}

/**
 * Voluntary + involuntary context switches of every thread of `pid`. A thread blocked in epoll or a
 * futex with nothing to do does not switch at all, so the growth of this sum over an idle window
 * counts wake-ups (timers, GC helper threads, signals …).
 */
export function threadSwitches(pid: number): ThreadSwitches[] {
  const threads: ThreadSwitches[] = [];
  for (const entry of readdirSync(`/proc/${pid}/task`)) {
    const status = readStatus(`/proc/${pid}/task/${entry}/status`);
    if (status === undefined) continue;
    const voluntary = statusField(status, 'voluntary_ctxt_switches') ?? 0;
    const involuntary = statusField(status, 'nonvoluntary_ctxt_switches') ?? 0;
    const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
    threads.push({ tid: Number(entry), name, switches: voluntary + involuntary });
  }
  return threads;
}

/**
 * Samples a process's RSS at a fixed interval and keeps the highest value. The kernel's VmHWM is the
 * exact peak; the sampled one shows whether the peak was a brief spike or a plateau.
 */
export class RssSampler {
  private maxBytes = 0;
  private samples = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 50,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  /** Stops sampling; returns the highest RSS seen, in bytes, and how many samples were taken. */
  stop(): { maxBytes: number; samples: number } {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return { maxBytes: this.maxBytes, samples: this.samples };
  }

  private sample(): void {
    try {
      this.maxBytes = Math.max(this.maxBytes, rssBytes(this.pid));
      this.samples++;
    } catch {
      // The daemon exiting is reported by the benchmark itself, not by the sampler.
    }
  }
}

/** `; busiest threads main:3 tid 1234:2`, for a row's note (empty when no thread woke). */
export function busiest(window: { byThread: readonly { tid: number; name: string; switches: number }[] }): string {
  if (window.byThread.length === 0) return '';
  return `; busiest threads ${window.byThread
    .slice(0, 3)
    .map((t) => `${t.name === 'main' ? 'main' : `tid ${t.tid}`}:${t.switches}`)
    .join(' ')}`;
}

export function mib(bytes: number | undefined): string {
  return bytes === undefined ? '?' : (bytes / MIB).toFixed(1);
}

/** A memory breakdown in MiB, for a report's details. */
export function breakdownMiB(m: MemoryBreakdown): Record<string, number | null> {
  const r = (bytes: number) => Math.round((bytes / MIB) * 100) / 100;
  return { rss: r(m.rssBytes), anon: r(m.anonBytes), file: r(m.fileBytes), pss: m.pssBytes === undefined ? null : r(m.pssBytes) };
}
