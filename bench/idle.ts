import { setTimeout as sleep } from 'node:timers/promises';
import { RunJobRequest } from '../daemon/protocol/jobs';
import { TerminalStatusWatcher, withDaemon, type BenchDaemon } from './benchDaemon';
import { breakdownMiB, busiest, memoryBreakdown, mib, MIB, threadSwitches } from './proc';
import { TRIVIAL_SCRIPT } from './rawSpawn';
import { verdict, type BenchOptions, type BenchReport } from './result';
import { median, round } from './stats';

const SETTLE_MS = 2000;
/**
 * After work, V8's memory reducer runs a few last garbage collections (Mark-Compact "reduce", some
 * 50–150 context switches across the GC helper threads within one to three seconds, then nothing).
 * Its timer is armed at start and re-armed while the heap is busy, so when it fires after the jobs is
 * not fixed. The window after jobs is therefore long, and rated by its median second, which a one-off
 * burst cannot move but a timer firing every second would.
 */
const AFTER_JOBS_WINDOW_S = 10;
const TARGET_RSS_MIB = 60;
const TARGET_WAKEUPS_PER_S = 1;
/** Jobs run before the second idle window, to catch timers that outlive the work that set them. */
const JOBS_BEFORE_SECOND_WINDOW = 50;

interface IdleWindow {
  windowMs: number;
  wakeups: number;
  /** Mean over the window: counts a one-off burst (a GC) as much as a timer. */
  wakeupsPerSecond: number;
  /**
   * Median of the per-second counts: a timer firing n times a second puts n in every second, a one-off
   * burst in one second only. This is what the target (no timer waking it more than once a second) asks.
   */
  medianPerSecond: number;
  /** Wake-ups in each second of the window: a timer shows in every second, a one-off burst in one. */
  perSecond: number[];
  /** Context switches per thread over the window, busiest first (threads that never woke left out). */
  byThread: { tid: number; name: string; switches: number }[];
}

/**
 * Idle daemon: RSS 2 s after start, then context switches of all its threads over a window with no
 * client connected. A thread blocked in epoll_wait or on a futex does not switch, so every switch
 * in the window is a wake-up: a timer, a GC helper, a signal. A second window after some jobs have run
 * shows whether work leaves a timer behind. Sleeping is the measurement here, not a wait for an event.
 */
export async function benchIdle(options: BenchOptions): Promise<BenchReport> {
  const seconds = options.quick ? 3 : 5;
  return withDaemon(async (daemon) => {
    options.log(`idle: settle ${SETTLE_MS / 1000} s, then a ${seconds} s window, fresh daemon`);
    await sleep(SETTLE_MS);
    const fresh = memoryBreakdown(daemon.pid);
    const freshWindow = await idleWindow(daemon, seconds);

    options.log(`idle: ${JOBS_BEFORE_SECOND_WINDOW} jobs, disconnect, settle ${SETTLE_MS / 1000} s, a ${AFTER_JOBS_WINDOW_S} s window`);
    await runSomeJobs(daemon);
    await sleep(SETTLE_MS);
    const afterJobsWindow = await idleWindow(daemon, AFTER_JOBS_WINDOW_S);
    const afterJobs = memoryBreakdown(daemon.pid);
    daemon.assertRunning();

    const rssMiB = fresh.rssBytes / MIB;
    return {
      name: 'idle',
      rows: [
        {
          benchmark: 'idle RSS (2 s after start)',
          measured: { value: rssMiB, unit: 'MiB' },
          baseline: null,
          comparison: null,
          target: `≤ ${TARGET_RSS_MIB} MiB`,
          verdict: verdict(rssMiB <= TARGET_RSS_MIB),
          note: `VmRSS = anon ${mib(fresh.anonBytes)} + file ${mib(fresh.fileBytes)} MiB; PSS ${mib(fresh.pssBytes)} MiB; ${mib(afterJobs.rssBytes)} MiB after the jobs and window`,
        },
        windowRow('idle wake-ups, fresh daemon', freshWindow),
        windowRow('idle wake-ups, after 50 jobs', afterJobsWindow),
      ],
      details: {
        settleMs: SETTLE_MS,
        memoryFreshMiB: breakdownMiB(fresh),
        memoryAfterJobsMiB: breakdownMiB(afterJobs),
        freshWindow,
        afterJobsWindow,
      },
    };
  });
}

function windowRow(benchmark: string, window: IdleWindow): BenchReport['rows'][number] {
  return {
    benchmark,
    measured: { value: window.medianPerSecond, unit: 'wakeups/s' },
    baseline: null,
    comparison: null,
    target: `≤ ${TARGET_WAKEUPS_PER_S}/s`,
    verdict: verdict(window.medianPerSecond <= TARGET_WAKEUPS_PER_S),
    note: `median of seconds; mean ${window.wakeupsPerSecond}/s, each second: ${window.perSecond.join(' ')}${busiest(window)}`,
  };
}

/** Sums the context switches of every thread, second by second, for `seconds` seconds. */
async function idleWindow(daemon: BenchDaemon, seconds: number): Promise<IdleWindow> {
  const start = new Map(threadSwitches(daemon.pid).map((t) => [t.tid, t.switches]));
  let previous = start;
  const perSecond: number[] = [];
  for (let s = 0; s < seconds; s++) {
    await sleep(1000);
    const now = new Map(threadSwitches(daemon.pid).map((t) => [t.tid, t.switches]));
    // A thread born during the window counts from zero; one that ended is lost (and would be rare).
    let sum = 0;
    for (const [tid, switches] of now) sum += switches - (previous.get(tid) ?? 0);
    perSecond.push(sum);
    previous = now;
  }
  const byThread = threadSwitches(daemon.pid)
    // Node leaves its threads unnamed ("node"); the main thread is the one whose tid is the pid.
    .map((t) => ({ tid: t.tid, name: t.tid === daemon.pid ? 'main' : t.name, switches: t.switches - (start.get(t.tid) ?? 0) }))
    .filter((t) => t.switches > 0)
    .sort((a, b) => b.switches - a.switches);
  const wakeups = perSecond.reduce((a, b) => a + b, 0);
  return {
    windowMs: seconds * 1000,
    wakeups,
    wakeupsPerSecond: round(wakeups / seconds, 2),
    medianPerSecond: median(perSecond),
    perSecond,
    byThread,
  };
}

async function runSomeJobs(daemon: BenchDaemon): Promise<void> {
  const client = await daemon.connect('bench-idle');
  const watcher = await TerminalStatusWatcher.attach(client);
  const jobs = await Promise.all(
    Array.from({ length: JOBS_BEFORE_SECOND_WINDOW }, () =>
      client.connection.sendRequest(RunJobRequest, { content: TRIVIAL_SCRIPT, fileName: 'true.sh', target: 'local' }),
    ),
  );
  await Promise.all(jobs.map(({ job }) => watcher.wait(job.id)));
  client.close();
}

