import { constants } from 'node:os';
import type { ExecutionDto, JobDto } from '../protocol/dto';

/** A mistake in how the command was typed: exit code 2 and a hint. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }

  static is(e: unknown): e is UsageError {
    return e instanceof UsageError;
  }
}

/** `30s`, `5m`, `1h`, `250ms` or plain seconds, in milliseconds. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UsageError(`Invalid ${option} "${text}"; use a duration like 30s, 5m or 1h`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] as number;
  const ms = Math.round(Number(match[1]) * factor);
  if (ms <= 0) throw new UsageError(`${option} must be more than 0`);
  return ms;
}

/**
 * `-e KEY=VALUE` pairs; a bare `-e KEY` takes KEY's value from `callerEnv` (the CLI's own environment),
 * as `docker run -e KEY` does, so the value is not in `ps` or shell history. Unlike docker, which drops
 * an unset KEY silently, that is a usage error: a job that silently lacks a token fails later and further away.
 */
export function parseEnvPairs(pairs: string[], callerEnv: NodeJS.ProcessEnv = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq === 0 || pair === '') throw new UsageError(`Invalid --env "${pair}"; write it as KEY=VALUE, or KEY alone to pass its value from this environment`);
    if (eq > 0) {
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
      continue;
    }
    const value = callerEnv[pair];
    if (value === undefined) throw new UsageError(`-e ${pair}: ${pair} is not set in this environment; use -e ${pair}=VALUE`);
    env[pair] = value;
  }
  return env;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m${Math.round((ms % 60_000) / 1000)}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

/** Exit code of `cronium run`: the job's own, 124 for a timeout (as timeout(1)), 130 when cancelled. */
export function jobExitCode(job: JobDto): number {
  if (job.status === 'succeeded') return 0;
  if (job.status === 'timed_out') return 124;
  if (job.status === 'cancelled') return 130;
  if (job.exitCode !== null) return job.exitCode;
  if (job.signal !== null) {
    const number = constants.signals[job.signal as keyof typeof constants.signals];
    if (number !== undefined) return 128 + number;
  }
  return 1;
}

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function jobRow(job: JobDto): string[] {
  return [
    job.id,
    job.status,
    job.runtime,
    job.target,
    job.exitCode === null ? '-' : String(job.exitCode),
    formatDuration(job.durationMs),
    job.createdAt.replace('T', ' ').slice(0, 19),
    job.name,
  ];
}

export const JOB_COLUMNS = ['ID', 'STATUS', 'RUNTIME', 'TARGET', 'EXIT', 'DURATION', 'CREATED', 'NAME'];

export const EXECUTION_COLUMNS = ['EXECUTION', 'ATTEMPT', 'SERVER', 'TARGET', 'STATUS', 'EXIT', 'DURATION', 'STARTED', 'ERROR'];

export function executionRow(execution: ExecutionDto): string[] {
  return [
    execution.id,
    String(execution.attempt),
    execution.serverId ?? '-',
    execution.target,
    execution.status,
    execution.exitCode === null ? (execution.signal ?? '-') : String(execution.exitCode),
    formatDuration(execution.durationMs),
    execution.startedAt?.replace('T', ' ').slice(0, 19) ?? '-',
    execution.lastError ?? '-',
  ];
}
