import { performance } from 'node:perf_hooks';
import type { DaemonClient } from '../daemon/client/daemonClient';
import { RunJobRequest } from '../daemon/protocol/jobs';
import { GetSettingsRequest } from '../daemon/protocol/settings';
import { TerminalStatusWatcher, withDaemon } from './benchDaemon';
import { cpuTimeMs, MIB, rssBytes } from './proc';
import { spawnBashPool, TRIVIAL_SCRIPT, writeBenchScript } from './rawSpawn';
import { verdict, type BenchOptions, type BenchReport } from './result';
import { median, round } from './stats';

const JOBS = 500;
const WARMUP_JOBS = 100;
const TARGET_RATIO = 0.8;

/**
 * Throughput: 500 trivial jobs submitted at once (requests pipelined on one connection) until all 500
 * have a terminal status, against 500 raw spawns of the same script with at most C in flight, where C
 * is the daemon's own concurrency setting. Rounds alternate raw/daemon; the ratio is of medians.
 */
export async function benchThroughput(options: BenchOptions): Promise<BenchReport> {
  const rounds = options.quick ? 1 : 3;
  return withDaemon(async (daemon) => {
    const client = await daemon.connect('bench-throughput');
    const watcher = await TerminalStatusWatcher.attach(client);
    const { concurrency } = await client.connection.sendRequest(GetSettingsRequest);
    const script = writeBenchScript(daemon.scratchDir, 'true.sh', TRIVIAL_SCRIPT);

    options.log(`throughput: warm-up, then ${rounds} round(s) of ${JOBS} jobs vs ${JOBS} raw spawns, concurrency ${concurrency}`);
    // Enough to get both sides' hot paths compiled; fewer left the first round visibly slower.
    await runBatch(client, watcher, WARMUP_JOBS);
    await spawnBashPool(script, WARMUP_JOBS, concurrency);

    const daemonRate: number[] = [];
    const rawRate: number[] = [];
    const cpu: RoundCpu[] = [];
    for (let i = 0; i < rounds; i++) {
      // Alternate which side goes first, so a burst of outside load does not always hit the same one.
      let raw: RawRound;
      let measured: DaemonRound;
      if (i % 2 === 0) {
        raw = await rawRound(script, concurrency);
        measured = await daemonRound(daemon.pid, client, watcher);
      } else {
        measured = await daemonRound(daemon.pid, client, watcher);
        raw = await rawRound(script, concurrency);
      }
      rawRate.push((JOBS * 1000) / raw.ms);
      daemonRate.push((JOBS * 1000) / measured.ms);
      cpu.push({
        daemonPerJobMs: measured.daemonCpuMs / JOBS,
        clientPerJobMs: measured.clientCpuMs / JOBS,
        rawParentPerSpawnMs: raw.parentCpuMs / JOBS,
        daemonRssMiB: rssBytes(daemon.pid) / MIB,
      });
      options.log(`  round ${i + 1}: daemon ${Math.round(measured.ms)} ms, raw ${Math.round(raw.ms)} ms`);
    }
    daemon.assertRunning();
    const daemonCpuPerJob = median(cpu.map((c) => c.daemonPerJobMs));

    // Each round's raw and daemon runs are back to back, so their ratio is paired: a burst of outside
    // load that hits one round moves the median of the paired ratios less than a ratio of medians.
    const ratioPerRound = daemonRate.map((d, i) => d / rawRate[i]);
    const ratio = median(ratioPerRound);
    return {
      name: 'throughput',
      rows: [
        {
          benchmark: `throughput (${JOBS} trivial jobs, C=${concurrency})`,
          measured: { value: median(daemonRate), unit: 'jobs/s' },
          baseline: { value: median(rawRate), unit: 'jobs/s' },
          comparison: { value: ratio, unit: 'x' },
          target: `≥ ${TARGET_RATIO}x raw`,
          verdict: verdict(ratio >= TARGET_RATIO),
          note: `rounds=${rounds}, daemon ${spread(daemonRate)} jobs/s; daemon CPU ${round(daemonCpuPerJob, 2)} ms/job`,
        },
      ],
      details: {
        jobs: JOBS,
        concurrency,
        rounds,
        daemonJobsPerSecond: daemonRate.map((v) => round(v, 1)),
        rawSpawnsPerSecond: rawRate.map((v) => round(v, 1)),
        ratio: round(ratio, 3),
        ratioPerRound: ratioPerRound.map((r) => round(r, 3)),
        // CPU of the daemon process itself (not its jobs), of this process while it was the client,
        // and of this process while it spawned the raw baseline: where the two cores went.
        cpuPerRound: cpu.map((c) => ({
          daemonPerJobMs: round(c.daemonPerJobMs, 3),
          clientPerJobMs: round(c.clientPerJobMs, 3),
          rawParentPerSpawnMs: round(c.rawParentPerSpawnMs, 3),
          daemonRssMiB: round(c.daemonRssMiB, 1),
        })),
      },
    };
  });
}

/** Submits `count` jobs without waiting between requests; resolves with ms until the last has ended. */
async function runBatch(client: DaemonClient, watcher: TerminalStatusWatcher, count: number): Promise<number> {
  const started = performance.now();
  const submitted = await Promise.all(
    Array.from({ length: count }, () =>
      client.connection.sendRequest(RunJobRequest, { content: TRIVIAL_SCRIPT, fileName: 'true.sh', target: 'local' }),
    ),
  );
  const ended = await Promise.all(submitted.map(({ job }) => watcher.wait(job.id)));
  const failed = ended.filter((e) => e.job.status !== 'succeeded');
  if (failed.length > 0) throw new Error(`${failed.length} trivial job(s) did not succeed, e.g. ${failed[0].job.lastError}`);
  return Math.max(...ended.map((e) => e.at)) - started;
}

interface RawRound {
  ms: number;
  /** CPU of this process while it spawned: the raw side's parent cost. */
  parentCpuMs: number;
}

async function rawRound(script: string, concurrency: number): Promise<RawRound> {
  const before = process.cpuUsage();
  const ms = await spawnBashPool(script, JOBS, concurrency);
  return { ms, parentCpuMs: cpuMs(process.cpuUsage(before)) };
}

interface DaemonRound {
  ms: number;
  /** CPU of the daemon process itself (its jobs not included). */
  daemonCpuMs: number;
  /** CPU of this process as the client. */
  clientCpuMs: number;
}

async function daemonRound(pid: number, client: DaemonClient, watcher: TerminalStatusWatcher): Promise<DaemonRound> {
  const daemonBefore = cpuTimeMs(pid);
  const clientBefore = process.cpuUsage();
  const ms = await runBatch(client, watcher, JOBS);
  return { ms, daemonCpuMs: cpuTimeMs(pid) - daemonBefore, clientCpuMs: cpuMs(process.cpuUsage(clientBefore)) };
}

interface RoundCpu {
  daemonPerJobMs: number;
  clientPerJobMs: number;
  rawParentPerSpawnMs: number;
  daemonRssMiB: number;
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function spread(values: number[]): string {
  if (values.length < 2) return `${Math.round(values[0])}`;
  return `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}`;
}
