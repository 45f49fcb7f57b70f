/**
 * Order statistics of a sample. Benchmarks report medians (robust to the odd slow spawn on a busy
 * machine) and p90 (to show the tail the median hides).
 */

/** The `p`-th percentile (0–100) by linear interpolation between closest ranks; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (Math.min(Math.max(p, 0), 100) / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function p90(samples: readonly number[]): number {
  return percentile(samples, 90);
}

/** Median, p90, min and max of a sample, as stored in the JSON results. */
export interface Summary {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    median: median(samples),
    p90: p90(samples),
    min: samples.length > 0 ? Math.min(...samples) : Number.NaN,
    max: samples.length > 0 ? Math.max(...samples) : Number.NaN,
  };
}

/** Rounds for display and JSON: enough digits to compare runs, not so many that noise looks like data. */
export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
