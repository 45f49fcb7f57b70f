import { closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DaemonClient } from '../daemon/client/daemonClient';
import type { LogLineDto } from '../daemon/protocol/dto';
import { RunJobRequest } from '../daemon/protocol/jobs';
import { ReadLogsRequest, SubscribeLogsRequest } from '../daemon/protocol/logs';
import { makeTempHome, removeHome } from '../test/helpers/tempHome';
import { TerminalStatusWatcher, withDaemon, type BenchDaemon } from './benchDaemon';
import { MIB, peakRssBytes, RssSampler } from './proc';
import { spawnBash, writeBenchScript } from './rawSpawn';
import { verdict, type BenchOptions, type BenchReport } from './result';
import { median, round } from './stats';

const LINES = 1_000_000;
const SCRIPT = `#!/bin/bash\nfor ((i=1;i<=${LINES};i++)); do echo "line $i"; done\n`;
const PAGE = 10_000;
const TARGET_RATIO = 2;
const TARGET_PEAK_MIB = 150;

/** Checks lines as they come, in order: every seq from 1 without a gap, text `line <seq>`, stdout. */
class LineChecker {
  count = 0;
  problem: string | undefined;

  check(lines: readonly LogLineDto[]): void {
    for (const line of lines) {
      const expected = this.count + 1;
      if (this.problem === undefined) {
        if (line.seq !== expected) this.problem = `expected seq ${expected}, got ${line.seq}`;
        else if (line.text !== `line ${expected}`) this.problem = `seq ${expected} holds ${JSON.stringify(line.text)}`;
        else if (line.stream !== 'stdout' || line.partial === true) this.problem = `seq ${expected} is ${line.stream}${line.partial ? ' partial' : ''}`;
      }
      this.count++;
    }
  }

  get complete(): boolean {
    return this.problem === undefined && this.count === LINES;
  }

  describe(): string {
    return this.problem ?? `${this.count} of ${LINES} lines`;
  }
}

interface DaemonRun {
  ms: number;
  /** VmHWM of the daemon right after the job ended (before the verification reads). */
  peakBytes: number;
  /** Highest VmRSS seen by sampling every 50 ms. */
  sampledPeakBytes: number;
  verified: boolean;
  verification: string;
}

/**
 * A Bash loop printing 1,000,000 lines. Raw: the script with stdout on a file. Daemon: the job with
 * no log subscriber, from submit to its terminal status; then every line is read back with
 * `logs/read` and checked. Extra row: the same job followed live by a `logs/subscribe` client, as
 * `cronium run` does. Each daemon run gets a fresh daemon, so its VmHWM is that run's peak.
 */
export async function benchMillionLines(options: BenchOptions): Promise<BenchReport> {
  const rounds = options.quick ? 1 : 3;
  const raw: number[] = [];
  const quiet: DaemonRun[] = [];
  const followed: DaemonRun[] = [];
  for (let r = 1; r <= rounds; r++) {
    const steps: (() => Promise<void>)[] = [
      async () => {
        options.log(`1M lines: round ${r}/${rounds}: raw`);
        raw.push(await runRaw());
      },
      async () => {
        options.log(`1M lines: round ${r}/${rounds}: daemon, no subscriber`);
        quiet.push(await withDaemon((daemon) => runDaemon(daemon, false)));
      },
      async () => {
        options.log(`1M lines: round ${r}/${rounds}: daemon, live subscriber`);
        followed.push(await withDaemon((daemon) => runDaemon(daemon, true)));
      },
    ];
    // Every other round in reverse order, so outside load drifting over the run hits all three alike.
    if (r % 2 === 0) steps.reverse();
    for (const step of steps) await step();
    options.log(
      `  raw ${Math.round(raw[raw.length - 1])} ms, daemon ${Math.round(quiet[quiet.length - 1].ms)} ms, ` +
        `followed ${Math.round(followed[followed.length - 1].ms)} ms`,
    );
  }
  return report(raw, quiet, followed);
}

/** The script alone, stdout on a file in a temp folder beside where daemons keep their database. */
async function runRaw(): Promise<number> {
  const dir = makeTempHome();
  const script = writeBenchScript(dir, 'million.sh', SCRIPT);
  const out = join(dir, 'million.out');
  const fd = openSync(out, 'w');
  try {
    const ms = await spawnBash(script, fd);
    const size = statSync(out).size;
    if (size !== expectedBytes()) throw new Error(`raw run wrote ${size} bytes, expected ${expectedBytes()}`);
    return ms;
  } finally {
    closeSync(fd);
    removeHome(dir);
  }
}

async function runDaemon(daemon: BenchDaemon, follow: boolean): Promise<DaemonRun> {
  const client = await daemon.connect(follow ? 'bench-follow' : 'bench-million');
  const watcher = await TerminalStatusWatcher.attach(client);
  const checker = new LineChecker();
  const sampler = new RssSampler(daemon.pid);
  sampler.start();
  const started = performance.now();
  const { job } = await client.connection.sendRequest(RunJobRequest, {
    content: SCRIPT,
    fileName: 'million.sh',
    target: 'local',
  });
  // As `cronium run` does: subscribe after the job exists, replaying from seq 0, so nothing is missed.
  const streamed = follow ? followLines(client, job.id, checker) : Promise.resolve(0);
  const [ended, streamEnd] = await Promise.all([watcher.wait(job.id), streamed]);
  const ms = Math.max(ended.at, streamEnd) - started;
  const sampled = sampler.stop();
  const peakBytes = peakRssBytes(daemon.pid);
  daemon.assertRunning();
  if (ended.job.status !== 'succeeded') throw new Error(`1M-line job ended ${ended.job.status}: ${ended.job.lastError}`);

  // Checked outside the timed span: reading back is the verification, not the job.
  if (!follow) await readBack(client, job.id, checker);
  const verified = checker.complete && ended.job.logLines === LINES;
  const verification = verified ? `${LINES} lines in order` : `${checker.describe()}; job says ${ended.job.logLines}`;
  return { ms, peakBytes, sampledPeakBytes: sampled.maxBytes, verified, verification };
}

/** Resolves with performance.now() when `logs/didEnd` arrives; feeds every line to `checker`. */
async function followLines(client: DaemonClient, jobId: string, checker: LineChecker): Promise<number> {
  const ended = new Promise<number>((resolve) =>
    client.listen(jobId, { lines: (lines) => checker.check(lines), end: () => resolve(performance.now()) }),
  );
  await client.connection.sendRequest(SubscribeLogsRequest, { jobId, afterSeq: 0 });
  return ended;
}

async function readBack(client: DaemonClient, jobId: string, checker: LineChecker): Promise<void> {
  let afterSeq = 0;
  for (let page = 0; page <= LINES / PAGE + 1; page++) {
    const result = await client.connection.sendRequest(ReadLogsRequest, { jobId, afterSeq, limit: PAGE });
    checker.check(result.lines);
    afterSeq = result.nextSeq;
    if (result.atEnd) return;
  }
  throw new Error('logs/read never reported atEnd');
}

/** Size of the raw output: "line i\n" for i = 1..LINES. */
function expectedBytes(): number {
  let bytes = 0;
  for (let digits = 1, from = 1; from <= LINES; digits++, from *= 10) {
    const to = Math.min(LINES, from * 10 - 1);
    bytes += (to - from + 1) * ('line '.length + digits + 1);
  }
  return bytes;
}

function report(raw: number[], quiet: DaemonRun[], followed: DaemonRun[]): BenchReport {
  const rawMs = median(raw);
  const quietMs = median(quiet.map((r) => r.ms));
  const followedMs = median(followed.map((r) => r.ms));
  // Ratios are paired by round (raw and daemon runs of a round are back to back), then the median taken.
  const quietRatio = median(quiet.map((r, i) => r.ms / raw[i]));
  const followedRatio = median(followed.map((r, i) => r.ms / raw[i]));
  // The target is a ceiling, so the worst round counts, not the median one.
  const peakMiB = Math.max(...quiet.map((r) => r.peakBytes)) / MIB;
  const followedPeakMiB = Math.max(...followed.map((r) => r.peakBytes)) / MIB;
  const allVerified = quiet.every((r) => r.verified);
  const failed = [...quiet, ...followed].find((r) => !r.verified);
  return {
    name: 'million',
    rows: [
      {
        benchmark: '1M lines: time, no subscriber',
        measured: { value: quietMs, unit: 'ms' },
        baseline: { value: rawMs, unit: 'ms' },
        comparison: { value: quietRatio, unit: 'x' },
        target: `≤ ${TARGET_RATIO}x raw`,
        verdict: verdict(quietRatio <= TARGET_RATIO),
        note: `raw = bash > file; rounds=${raw.length}`,
      },
      {
        benchmark: '1M lines: persisted in order',
        measured: { value: (100 * quiet.filter((r) => r.verified).length) / quiet.length, unit: '%' },
        baseline: null,
        comparison: null,
        target: '100% in order',
        verdict: verdict(allVerified),
        note: allVerified ? 'read back via logs/read' : (failed?.verification ?? ''),
      },
      {
        benchmark: '1M lines: daemon peak RSS',
        measured: { value: peakMiB, unit: 'MiB' },
        baseline: null,
        comparison: null,
        target: `≤ ${TARGET_PEAK_MIB} MiB`,
        verdict: verdict(peakMiB <= TARGET_PEAK_MIB),
        note: `VmHWM, worst round; sampled max ${round(Math.max(...quiet.map((r) => r.sampledPeakBytes)) / MIB, 1)} MiB`,
      },
      {
        benchmark: '1M lines: time, live subscriber',
        measured: { value: followedMs, unit: 'ms' },
        baseline: { value: rawMs, unit: 'ms' },
        comparison: { value: followedRatio, unit: 'x' },
        target: '(info)',
        verdict: 'info',
        note: `as cronium run; peak RSS ${round(followedPeakMiB, 1)} MiB; ${followed.every((r) => r.verified) ? 'all lines received in order' : (failed?.verification ?? '')}`,
      },
    ],
    details: {
      lines: LINES,
      rawMs: raw.map((v) => round(v, 1)),
      noSubscriber: quiet.map(runDetails),
      liveSubscriber: followed.map(runDetails),
    },
  };
}

function runDetails(run: DaemonRun): Record<string, unknown> {
  return {
    ms: round(run.ms, 1),
    peakRssMiB: round(run.peakBytes / MIB, 1),
    sampledPeakRssMiB: round(run.sampledPeakBytes / MIB, 1),
    verified: run.verified,
    verification: run.verification,
  };
}
