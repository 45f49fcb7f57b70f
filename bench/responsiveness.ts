import { performance } from 'node:perf_hooks';
import type { DaemonClient } from '../daemon/client/daemonClient';
import { DaemonStatusRequest } from '../daemon/protocol/lifecycle';
import { GetJobRequest, ListJobsRequest, RunJobRequest } from '../daemon/protocol/jobs';
import { UpdateSettingsRequest } from '../daemon/protocol/settings';
import { TerminalStatusWatcher, withDaemon } from './benchDaemon';
import { cpuTimeMs } from './proc';
import { verdict, type BenchOptions, type BenchReport } from './result';
import { median, percentile, round } from './stats';

const JOBS = 200;
const LINES = 50;
const TARGET_P99_MS = 50;
/** Each job prints LINES lines over about a second. */
const SCRIPT = `for i in $(seq 1 ${LINES}); do echo "line $i of $CRONIUM_JOB_ID"; sleep 0.02; done\n`;

/**
 * Responsiveness under load: 200 jobs submitted at once with concurrency 200, each printing 50 lines
 * over about a second, while a second client asks `daemon/status` and `jobs/list` one after the other
 * as fast as answers come. Baseline: the same requests against the idle daemon, in the same run.
 * Every job must succeed with all its lines stored.
 */
export async function benchResponsiveness(options: BenchOptions): Promise<BenchReport> {
  return withDaemon(async (daemon) => {
    const client = await daemon.connect('bench-load');
    const probe = await daemon.connect('bench-probe');
    const watcher = await TerminalStatusWatcher.attach(client);
    await client.connection.sendRequest(UpdateSettingsRequest, { concurrency: JOBS });

    options.log(`responsiveness: status/list latency, idle and with ${JOBS} jobs of ${LINES} lines at concurrency ${JOBS}`);
    const idle = await probeFor(probe, () => Promise.resolve(), 300);
    const ids: string[] = [];
    const cpuBefore = cpuTimeMs(daemon.pid);
    const started = performance.now();
    const load = (async () => {
      const submitted = await Promise.all(
        Array.from({ length: JOBS }, () =>
          client.connection.sendRequest(RunJobRequest, { content: SCRIPT, runtime: 'bash', target: 'local' }),
        ),
      );
      for (const { job } of submitted) ids.push(job.id);
      await Promise.all(ids.map((id) => watcher.wait(id)));
    })();
    const busy = await probeFor(probe, () => load, 0);
    const wallMs = performance.now() - started;
    const daemonCpuMs = cpuTimeMs(daemon.pid) - cpuBefore;
    daemon.assertRunning();

    const finals = await Promise.all(ids.map((id) => client.connection.sendRequest(GetJobRequest, { id })));
    const failed = finals.filter((job) => job.status !== 'succeeded').length;
    const short = finals.filter((job) => job.logLines !== LINES).length;
    const p99 = percentile(busy, 99);
    const ok = failed === 0 && short === 0 && p99 <= TARGET_P99_MS;
    options.log(`  ${busy.length} probes under load in ${Math.round(wallMs)} ms (daemon CPU ${Math.round(daemonCpuMs)} ms): p50 ${round(median(busy), 1)} ms, p99 ${round(p99, 1)} ms`);
    return {
      name: 'responsiveness',
      rows: [
        {
          benchmark: `status/list p99 with ${JOBS} jobs running (C=${JOBS})`,
          measured: { value: p99, unit: 'ms' },
          baseline: { value: percentile(idle, 99), unit: 'ms' },
          comparison: null,
          target: `≤ ${TARGET_P99_MS} ms, all succeed, every line stored`,
          verdict: verdict(ok),
          note: `p50 ${round(median(busy), 1)} ms (idle ${round(median(idle), 1)}); ${busy.length} probes; ${JOBS - failed}/${JOBS} succeeded; ${JOBS - short}/${JOBS} with all ${LINES} lines; ${Math.round(wallMs)} ms`,
        },
      ],
      details: { jobs: JOBS, lines: LINES, idleMs: idle, busyMs: busy, failed, short, wallMs, daemonCpuMs },
    };
  });
}

/**
 * Latencies of `daemon/status` and `jobs/list` (default page), asked one after the other until `until`
 * settles and at least `minProbes` were made.
 */
async function probeFor(client: DaemonClient, until: () => Promise<unknown>, minProbes: number): Promise<number[]> {
  const samples: number[] = [];
  let done = false;
  const settled = until().finally(() => (done = true));
  for (let i = 0; !done || samples.length < minProbes; i++) {
    const t = performance.now();
    if (i % 2 === 0) await client.connection.sendRequest(DaemonStatusRequest);
    else await client.connection.sendRequest(ListJobsRequest, {});
    samples.push(performance.now() - t);
    if (minProbes > 0 && samples.length >= minProbes) break;
  }
  await settled;
  return samples;
}
