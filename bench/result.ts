/** What every benchmark hands back to run.ts: table rows, plus raw numbers for the JSON file. */

export type Unit = 'ms' | 'jobs/s' | 'MiB' | 'x' | '%' | 'wakeups/s' | 'fps';

export interface Metric {
  value: number;
  unit: Unit;
}

/** PASS/MISS against the target; `info` rows have no target (they explain another row). */
export type Verdict = 'PASS' | 'MISS' | 'info';

export interface BenchRow {
  benchmark: string;
  /** Median measured through the daemon (or the daemon's own number, e.g. its RSS). */
  measured: Metric;
  /** Median of the raw baseline measured in the same run, when the row has one. */
  baseline: Metric | null;
  /** Overhead (ms) or ratio (x) of measured against baseline. */
  comparison: Metric | null;
  target: string;
  verdict: Verdict;
  /** Short context for the table (p90, spread, sample count). */
  note: string;
}

export interface BenchReport {
  name: string;
  rows: BenchRow[];
  /** Every sample and derived figure, for the JSON results. */
  details: Record<string, unknown>;
}

export interface BenchOptions {
  quick: boolean;
  /** Progress for the person watching; goes to stderr so stdout holds only the table. */
  log(message: string): void;
}

/** PASS when `ok`, else MISS. */
export function verdict(ok: boolean): Verdict {
  return ok ? 'PASS' : 'MISS';
}
