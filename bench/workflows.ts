import { performance } from 'node:perf_hooks';
import { GetJobRequest } from '../daemon/protocol/jobs';
import { GetSettingsRequest, UpdateSettingsRequest } from '../daemon/protocol/settings';
import { GetWorkflowRunRequest, RegisterWorkflowRequest, RunWorkflowRequest, SubscribeWorkflowsRequest, WorkflowRunChangedNotification } from '../daemon/protocol/workflows';
import { withDaemon } from './benchDaemon';
import { spawnBash, spawnBashPool, TRIVIAL_SCRIPT, writeBenchScript } from './rawSpawn';
import { verdict, type BenchOptions, type BenchReport } from './result';
import { median, round, summarize } from './stats';

const STEPS = 40;
const TARGET_CHAIN_RATIO = 1.1;
const TARGET_OVERHEAD_MS = 3;

const node = (id: string) => ({ id, script: { runtime: 'bash', content: TRIVIAL_SCRIPT }, target: 'local' });

/**
 * Workflows: a 40-step chain of trivial local Bash steps against the same 40 scripts spawned back to
 * back from this process; and a 40-wide fan-out / fan-in (root → 40 → join) against a raw spawn of the
 * root, the 40 at the daemon's concurrency, then the join. Timed from `workflows/run` sent until the
 * run's end arrives as `workflows/didChangeRun`. Rounds alternate daemon and raw; ratios and
 * per-step overheads are taken per round, then the median.
 */
export async function benchWorkflows(options: BenchOptions): Promise<BenchReport> {
  const rounds = options.quick ? 3 : 10;
  return withDaemon(async (daemon) => {
    const client = await daemon.connect('bench-workflows');
    const ends = new Map<string, (at: number) => void>();
    const early = new Map<string, number>();
    client.connection.onNotification(WorkflowRunChangedNotification, ({ run, steps }) => {
      if (run.status === 'running' || steps.length > 0) return;
      const at = performance.now();
      const waiter = ends.get(run.id);
      if (waiter === undefined) early.set(run.id, at);
      else waiter(at);
    });
    await client.request(SubscribeWorkflowsRequest, {});
    // The raw spawns run at this process's priority; host jobs run at niceness 19 by default (jobNice),
    // which on a busy machine measures the scheduler's fairness, not the engine. Same priority for both.
    await client.request(UpdateSettingsRequest, { jobNice: 0 });
    const { concurrency } = await client.request(GetSettingsRequest);
    const script = writeBenchScript(daemon.scratchDir, 'true.sh', TRIVIAL_SCRIPT);

    const ids = Array.from({ length: STEPS }, (_, i) => `s${i}`);
    const chain = writeJson(daemon.scratchDir, 'chain', {
      name: 'chain',
      nodes: ids.map(node),
      edges: ids.slice(1).map((id, i) => ({ from: ids[i], to: id, when: 'on_success' })),
    });
    const fan = writeJson(daemon.scratchDir, 'fan', {
      name: 'fan',
      nodes: [node('root'), ...ids.map(node), node('join')],
      edges: [...ids.map((id) => ({ from: 'root', to: id, when: 'on_success' })), ...ids.map((id) => ({ from: id, to: 'join', when: 'always' }))],
    });
    for (const file of [chain, fan]) await client.request(RegisterWorkflowRequest, { path: file });

    let lastChainRun = '';
    const runOnce = async (workflow: string): Promise<number> => {
      const started = performance.now();
      const { run } = await client.request(RunWorkflowRequest, { workflow });
      if (workflow === 'chain') lastChainRun = run.id;
      const at = early.get(run.id) ?? (await new Promise<number>((resolve) => ends.set(run.id, resolve)));
      early.delete(run.id);
      ends.delete(run.id);
      if (run.status !== 'running' && run.status !== 'succeeded') throw new Error(`run ${run.id} of ${workflow} ended ${run.status}`);
      return at - started;
    };
    const rawChain = async (): Promise<number> => {
      const started = performance.now();
      for (let i = 0; i < STEPS; i++) await spawnBash(script);
      return performance.now() - started;
    };
    const rawFan = async (): Promise<number> => {
      const started = performance.now();
      await spawnBash(script);
      await spawnBashPool(script, STEPS, concurrency);
      await spawnBash(script);
      return performance.now() - started;
    };

    options.log(`workflows: 1 warm-up + ${rounds} rounds of a ${STEPS}-step chain and a ${STEPS}-wide fan-out/fan-in (concurrency ${concurrency})`);
    await runOnce('chain');
    await runOnce('fan');
    await rawChain();
    const chainMs: number[] = [];
    const chainRawMs: number[] = [];
    const fanMs: number[] = [];
    const fanRawMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        chainMs.push(await runOnce('chain'));
        chainRawMs.push(await rawChain());
        fanMs.push(await runOnce('fan'));
        fanRawMs.push(await rawFan());
      } else {
        chainRawMs.push(await rawChain());
        chainMs.push(await runOnce('chain'));
        fanRawMs.push(await rawFan());
        fanMs.push(await runOnce('fan'));
      }
    }
    daemon.assertRunning();
    // Where a chain step's time goes, from the jobs' own timestamps (1 ms resolution): the engine's
    // hand-off (a job's end recorded → the next step's job stored) and the queue's start (stored → process started).
    const { run: last } = await client.request(GetWorkflowRunRequest, { run: lastChainRun });
    const jobs = await Promise.all(last.steps.map((s) => client.request(GetJobRequest, { id: s.jobId as string })));
    const handoffMs = jobs.slice(1).map((job, i) => Date.parse(job.createdAt) - Date.parse(jobs[i].finishedAt as string));
    const queueStartMs = jobs.map((job) => Date.parse(job.startedAt as string) - Date.parse(job.createdAt));
    const processMs = jobs.map((job) => job.durationMs ?? 0);
    const ratios = chainMs.map((ms, i) => ms / chainRawMs[i]);
    const chainPerStep = chainMs.map((ms, i) => (ms - chainRawMs[i]) / STEPS);
    const fanPerStep = fanMs.map((ms, i) => (ms - fanRawMs[i]) / (STEPS + 2));
    const ratio = median(ratios);
    const fanOverhead = median(fanPerStep);
    return {
      name: 'workflows',
      rows: [
        {
          benchmark: `workflow: ${STEPS}-step chain of trivial bash steps`,
          measured: { value: median(chainMs), unit: 'ms' },
          baseline: { value: median(chainRawMs), unit: 'ms' },
          comparison: { value: ratio, unit: 'x' },
          target: `≤ ${TARGET_CHAIN_RATIO}x`,
          verdict: verdict(ratio <= TARGET_CHAIN_RATIO),
          note: `+${round(median(chainPerStep), 2)} ms/step; engine hand-off ${round(mean(handoffMs), 2)} ms, queue start ${round(mean(queueStartMs), 2)} ms, n=${rounds}`,
        },
        {
          benchmark: `workflow: ${STEPS}-wide fan-out/fan-in, overhead per step`,
          measured: { value: median(fanMs), unit: 'ms' },
          baseline: { value: median(fanRawMs), unit: 'ms' },
          comparison: { value: fanOverhead, unit: 'ms' },
          target: `≤ +${TARGET_OVERHEAD_MS} ms`,
          verdict: verdict(fanOverhead <= TARGET_OVERHEAD_MS),
          note: `${STEPS + 2} steps, concurrency ${concurrency}, jobNice 0, n=${rounds}`,
        },
      ],
      details: {
        chainMs: summarize(chainMs),
        chainRawMs: summarize(chainRawMs),
        chainRatioPerRound: ratios.map((r) => round(r, 3)),
        chainOverheadPerStepMs: chainPerStep.map((v) => round(v, 3)),
        fanMs: summarize(fanMs),
        fanRawMs: summarize(fanRawMs),
        fanOverheadPerStepMs: fanPerStep.map((v) => round(v, 3)),
        lastChainRunMeanMs: { engineHandoff: round(mean(handoffMs), 3), queueStart: round(mean(queueStartMs), 3), process: round(mean(processMs), 3) },
      },
    };
  });
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

function writeJson(dir: string, name: string, document: unknown): string {
  return writeBenchScript(dir, `${name}.cronium.json`, JSON.stringify(document));
}
