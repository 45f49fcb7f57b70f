import type { BenchRow, Metric } from './result';

const HEADERS = ['benchmark', 'measured (median)', 'raw baseline', 'overhead / ratio', 'target', 'result', 'notes'];

export function formatMetric(metric: Metric | null, signed = false): string {
  if (metric === null) return '—';
  const { value, unit } = metric;
  if (!Number.isFinite(value)) return 'n/a';
  const sign = signed && value >= 0 ? '+' : '';
  switch (unit) {
    case 'ms':
      return `${sign}${Math.abs(value) >= 100 ? Math.round(value) : value.toFixed(2)} ms`;
    case 'jobs/s':
      return `${Math.round(value)} jobs/s`;
    case 'MiB':
      return `${value.toFixed(1)} MiB`;
    case 'x':
      return `${value.toFixed(2)}x`;
    case '%':
      return `${+value.toFixed(2)}%`;
    case 'wakeups/s':
      return `${value.toFixed(2)}/s`;
    case 'fps':
      return `${Math.round(value)} fps`;
  }
}

/** The rows as a plain-text table with aligned columns (no colours: it is pasted into issues and CI logs). */
export function formatTable(rows: readonly BenchRow[]): string {
  const cells = rows.map((row) => [
    row.benchmark,
    formatMetric(row.measured),
    formatMetric(row.baseline),
    formatMetric(row.comparison, row.comparison?.unit === 'ms'),
    row.target,
    row.verdict,
    row.note,
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: readonly string[]) =>
    c
      .map((cell, i) => (i === c.length - 1 ? cell : cell.padEnd(widths[i])))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? Math.max(w, 5) : w)).join('-+-');
  return [line(HEADERS), rule, ...cells.map(line)].join('\n');
}
