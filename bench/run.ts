import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { coerceError } from '../daemon/errors';
import { benchBuilder } from './builder';
import { benchContainer } from './container';
import { benchIdle } from './idle';
import { benchJobOverhead } from './jobOverhead';
import { benchMillionLines } from './millionLines';
import { benchResponsiveness } from './responsiveness';
import { MIB } from './proc';
import type { BenchOptions, BenchReport, BenchRow } from './result';
import { benchScheduler } from './scheduler';
import { round } from './stats';
import { formatTable } from './table';
import { benchSsh } from './ssh';
import { benchThroughput } from './throughput';
import { benchWorkflows } from './workflows';

/** Benchmarks by the name `--only` takes, in the order they run. */
const BENCHMARKS: Record<string, (options: BenchOptions) => Promise<BenchReport>> = {
  idle: benchIdle,
  overhead: benchJobOverhead,
  throughput: benchThroughput,
  responsiveness: benchResponsiveness,
  million: benchMillionLines,
  scheduler: benchScheduler,
  container: benchContainer,
  builder: benchBuilder,
  workflows: benchWorkflows,
  ssh: benchSsh,
};

const USAGE = `usage: npm run bench [-- --quick] [-- --only ${Object.keys(BENCHMARKS).join('|')}[,…]]
  env: CRONIUM_BENCH_QUICK=1, CRONIUM_BENCH_ONLY=name[,name]`;

const RESULTS_DIR = join(__dirname, 'results');
/** 1-minute load average above which the run warns that the machine is not idle. */
const BUSY_LOAD = 0.5;

interface Choice {
  quick: boolean;
  names: string[];
}

function parseChoice(): Choice {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick === true || process.env.CRONIUM_BENCH_QUICK === '1';
  const requested = (values.only ?? (process.env.CRONIUM_BENCH_ONLY ? [process.env.CRONIUM_BENCH_ONLY] : []))
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  const unknown = requested.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) throw new UsageError(`Unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  const names = Object.keys(BENCHMARKS).filter((name) => requested.length === 0 || requested.includes(name));
  return { quick, names };
}

class UsageError extends Error {}

async function main(): Promise<number> {
  if (process.platform !== 'linux') {
    process.stderr.write('bench: the benchmarks read /proc and run on Linux only\n');
    return 1;
  }
  let choice: Choice;
  try {
    choice = parseChoice();
  } catch (e) {
    process.stderr.write(`bench: ${coerceError(e).message}\n${USAGE}\n`);
    return 2;
  }
  const startedAt = new Date();
  const log = (message: string) => process.stderr.write(`[bench ${elapsed(startedAt)}] ${message}\n`);
  log(`${choice.quick ? 'quick' : 'full'} run: ${choice.names.join(', ')}`);
  const loadAtStart = loadavg();
  // Ratios against a baseline measured alongside absorb some noise, but not another busy process.
  if (loadAtStart[0] > BUSY_LOAD) log(`warning: load average ${loadAtStart[0].toFixed(2)}: other work will show in the numbers`);

  const reports: BenchReport[] = [];
  const errors: { benchmark: string; message: string }[] = [];
  for (const name of choice.names) {
    try {
      reports.push(await BENCHMARKS[name]({ quick: choice.quick, log }));
    } catch (e) {
      // One broken benchmark must not hide the others' numbers; the run still fails at the end.
      const error = coerceError(e);
      log(`${name} failed: ${error.stack ?? error.message}`);
      errors.push({ benchmark: name, message: error.message });
    }
  }

  const rows: BenchRow[] = reports.flatMap((r) => r.rows);
  const finishedAt = new Date();
  process.stdout.write(`\n${formatTable(rows)}\n`);
  for (const e of errors) process.stdout.write(`ERROR ${e.benchmark}: ${e.message}\n`);
  const file = join(RESULTS_DIR, 'latest.json');
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        quick: choice.quick,
        benchmarks: choice.names,
        machine: machine(),
        loadAverage: { start: loadAtStart.map((v) => round(v, 2)), end: loadavg().map((v) => round(v, 2)) },
        rows: rows.map(roundRow),
        details: Object.fromEntries(reports.map((r) => [r.name, r.details])),
        errors,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\n${rows.filter((r) => r.verdict === 'MISS').length} target(s) missed; results in ${file} (${elapsed(startedAt)})\n`);
  return errors.length > 0 ? 1 : 0;
}

function machine(): Record<string, unknown> {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    arch: arch(),
    kernel: release(),
    memoryMiB: Math.round(totalmem() / MIB),
    node: process.version,
  };
}

function roundRow(row: BenchRow): BenchRow {
  const r = (m: BenchRow['measured'] | null) => (m === null ? null : { ...m, value: round(m.value, 3) });
  return { ...row, measured: r(row.measured) ?? row.measured, baseline: r(row.baseline), comparison: r(row.comparison) };
}

function elapsed(since: Date): string {
  return `${((Date.now() - since.getTime()) / 1000).toFixed(1)} s`;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${coerceError(e).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
