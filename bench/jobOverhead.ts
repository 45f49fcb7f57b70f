import { performance } from 'node:perf_hooks';
import { RunJobRequest } from '../daemon/protocol/jobs';
import { TerminalStatusWatcher, withDaemon } from './benchDaemon';
import { spawnBash, TRIVIAL_SCRIPT, writeBenchScript } from './rawSpawn';
import { verdict, type BenchOptions, type BenchReport } from './result';
import { median, p90, round, summarize } from './stats';

const TARGET_OVERHEAD_MS = 5;

/** Where a daemon job's time went, from the job's own timestamps (ms resolution, same clock). */
interface Phases {
  /** Client send → job row created: socket, JSON-RPC, validation, insert. */
  submitMs: number;
  /** Created → process started: claim, script file, spawn. */
  startMs: number;
  /** Started → finished: the process, as the daemon saw it. */
  processMs: number;
  /** Finished → terminal notification received by the client. */
  notifyMs: number;
}

/**
 * Per-job overhead: a trivial Bash job submitted over the socket until its terminal
 * `jobs/didChangeStatus` arrives, against `bash` spawned on the same script from this process.
 * Daemon and raw iterations alternate, so drift (CPU frequency, page cache, other load) hits both alike,
 * and the overhead is taken per pair.
 */
export async function benchJobOverhead(options: BenchOptions): Promise<BenchReport> {
  const iterations = options.quick ? 30 : 200;
  const warmup = options.quick ? 5 : 20;
  return withDaemon(async (daemon) => {
    const client = await daemon.connect('bench-overhead');
    const watcher = await TerminalStatusWatcher.attach(client);
    const script = writeBenchScript(daemon.scratchDir, 'true.sh', TRIVIAL_SCRIPT);

    const runJob = async (): Promise<{ ms: number; phases: Phases }> => {
      const sentAt = Date.now();
      const started = performance.now();
      const { job } = await client.connection.sendRequest(RunJobRequest, jobParams());
      const ended = await watcher.wait(job.id);
      const receivedAt = Date.now();
      if (ended.job.status !== 'succeeded') throw new Error(`trivial job ${job.id} ended ${ended.job.status}`);
      return { ms: ended.at - started, phases: phasesOf(ended.job, sentAt, receivedAt) };
    };

    options.log(`per-job overhead: ${warmup} warm-up + ${iterations} alternating daemon/raw iterations`);
    for (let i = 0; i < warmup; i++) {
      await runJob();
      await spawnBash(script);
    }
    const daemonMs: number[] = [];
    const rawMs: number[] = [];
    const overheadMs: number[] = [];
    const phases: Phases[] = [];
    for (let i = 0; i < iterations; i++) {
      // Alternate which goes first so neither always runs right after the other's cleanup.
      let d: { ms: number; phases: Phases };
      let r: number;
      if (i % 2 === 0) {
        d = await runJob();
        r = await spawnBash(script);
      } else {
        r = await spawnBash(script);
        d = await runJob();
      }
      daemonMs.push(d.ms);
      rawMs.push(r);
      overheadMs.push(d.ms - r);
      phases.push(d.phases);
    }
    daemon.assertRunning();
    return report(daemonMs, rawMs, overheadMs, phases);
  });
}

function jobParams() {
  return { content: TRIVIAL_SCRIPT, fileName: 'true.sh', target: 'local' as const };
}

function phasesOf(
  job: { createdAt: string; startedAt: string | null; finishedAt: string | null },
  sentAt: number,
  receivedAt: number,
): Phases {
  const created = Date.parse(job.createdAt);
  const started = Date.parse(job.startedAt ?? job.createdAt);
  const finished = Date.parse(job.finishedAt ?? job.createdAt);
  return {
    submitMs: created - sentAt,
    startMs: started - created,
    processMs: finished - started,
    notifyMs: receivedAt - finished,
  };
}

function report(daemonMs: number[], rawMs: number[], overheadMs: number[], phases: Phases[]): BenchReport {
  const overhead = median(overheadMs);
  const phase = (key: keyof Phases) => round(median(phases.map((p) => p[key])), 1);
  return {
    name: 'overhead',
    rows: [
      {
        benchmark: 'per-job overhead (trivial bash job)',
        measured: { value: median(daemonMs), unit: 'ms' },
        baseline: { value: median(rawMs), unit: 'ms' },
        comparison: { value: overhead, unit: 'ms' },
        target: `≤ +${TARGET_OVERHEAD_MS} ms`,
        verdict: verdict(overhead <= TARGET_OVERHEAD_MS),
        note: `p90 overhead +${round(p90(overheadMs), 2)} ms, n=${overheadMs.length}`,
      },
    ],
    details: {
      daemonMs: summarize(daemonMs),
      rawMs: summarize(rawMs),
      overheadMs: summarize(overheadMs),
      medianPhasesMs: {
        submit: phase('submitMs'),
        start: phase('startMs'),
        process: phase('processMs'),
        notify: phase('notifyMs'),
      },
      samples: { daemonMs: daemonMs.map((v) => round(v, 3)), rawMs: rawMs.map((v) => round(v, 3)) },
    },
  };
}
