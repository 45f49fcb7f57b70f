import type { ExecutionDto, JobDto, JobStatus, LogLineDto, Runtime } from '../../daemon/protocol/dto';

/** Kept free of `vscode` so tests run it under plain mocha; the tree maps these ids to ThemeIcon/ThemeColor. */
export interface StatusLook {
  icon: string;
  color: string | undefined;
}

const LOOKS: Record<JobStatus, StatusLook> = {
  queued: { icon: 'clock', color: 'descriptionForeground' },
  claimed: { icon: 'loading~spin', color: 'charts.blue' },
  running: { icon: 'sync~spin', color: 'charts.blue' },
  succeeded: { icon: 'pass', color: 'testing.iconPassed' },
  failed: { icon: 'error', color: 'testing.iconFailed' },
  cancelled: { icon: 'circle-slash', color: 'disabledForeground' },
  timed_out: { icon: 'watch', color: 'testing.iconErrored' },
  partial: { icon: 'warning', color: 'list.warningForeground' },
};

export function statusLook(status: JobStatus): StatusLook {
  return LOOKS[status];
}

/** `850 ms`, `12.3 s`, `4 m 05 s`, `2 h 03 m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`;
}

/** Duration so far for a running job (`now` given so tests are deterministic). */
export function jobDuration(job: JobDto, now: number): number | undefined {
  if (job.durationMs !== null) return job.durationMs;
  if (job.startedAt && !job.finishedAt) return Math.max(0, now - Date.parse(job.startedAt));
  return undefined;
}

/** Tree item description: `python · container · 1.2 s · exit 0`. */
export function jobDescription(job: JobDto, now: number): string {
  const parts: string[] = [job.runtime, job.target];
  const duration = jobDuration(job, now);
  if (duration !== undefined) parts.push(formatDuration(duration));
  if (job.exitCode !== null) parts.push(`exit ${job.exitCode}`);
  else if (job.signal) parts.push(job.signal);
  return parts.join(' · ');
}

export function jobTooltip(job: JobDto): string {
  const lines = [`${job.name} — ${job.status.replace('_', ' ')}`, `id ${job.id}`, `created ${job.createdAt}`];
  if (job.lastError) lines.push(job.lastError);
  if (job.notice) lines.push(job.notice);
  for (const execution of job.executions) lines.push(`${executionLabel(execution)}: ${executionDescription(execution, Date.now())}`);
  return lines.join('\n');
}

/** `#1 exe_0a1b2c…` (and the server of a multi-server run): how an execution row is named. */
export function executionLabel(execution: ExecutionDto): string {
  return `#${execution.attempt}${execution.serverId === null ? '' : ` ${execution.serverId}`} ${execution.id}`;
}

/** Execution row description: `failed · local · 1.2 s · exit 3`. */
export function executionDescription(execution: ExecutionDto, now: number): string {
  const parts: string[] = [execution.status.replace('_', ' '), execution.target];
  const duration =
    execution.durationMs ?? (execution.startedAt && !execution.finishedAt ? Math.max(0, now - Date.parse(execution.startedAt)) : undefined);
  if (duration !== undefined) parts.push(formatDuration(duration));
  if (execution.exitCode !== null) parts.push(`exit ${execution.exitCode}`);
  else if (execution.signal) parts.push(execution.signal);
  return parts.join(' · ');
}

/** One line for the end of a job's output channel and for its notification. */
export function jobOutcome(job: JobDto): string {
  const duration = job.durationMs !== null ? ` in ${formatDuration(job.durationMs)}` : '';
  switch (job.status) {
    case 'succeeded':
      return `${job.name} succeeded${duration}`;
    case 'failed':
      if (job.exitCode !== null) return `${job.name} failed with exit code ${job.exitCode}${duration}`;
      return `${job.name} failed${job.lastError ? `: ${job.lastError}` : ''}`;
    case 'timed_out':
      return `${job.name} timed out${duration}`;
    case 'cancelled':
      return `${job.name} was cancelled`;
    default:
      return `${job.name} is ${job.status.replace('_', ' ')}`;
  }
}

/** Prefix that marks stderr lines in an output channel, which has no colours. */
export const STDERR_PREFIX = '[stderr] ';

/**
 * Renders log lines as output-channel text. `atLineStart` carries over between calls because a
 * `partial` line is continued by the next line of the same stream.
 */
export function renderLines(lines: readonly LogLineDto[], atLineStart: boolean): { text: string; atLineStart: boolean } {
  let text = '';
  for (const line of lines) {
    if (atLineStart && line.stream === 'stderr') text += STDERR_PREFIX;
    text += line.text;
    if (line.partial) {
      atLineStart = false;
    } else {
      text += '\n';
      atLineStart = true;
    }
  }
  return { text, atLineStart };
}

/** Runtime of an editor's language id, or undefined when Cronium cannot run it. */
export function runtimeForLanguage(languageId: string): Runtime | undefined {
  switch (languageId) {
    case 'shellscript':
    case 'bash':
    case 'sh':
      return 'bash';
    case 'python':
      return 'python';
    case 'javascript':
      return 'node';
    default:
      return undefined;
  }
}

/** Jobs newest first; ties (same millisecond) by id so the order is stable. */
export function sortJobs(jobs: Iterable<JobDto>): JobDto[] {
  return [...jobs].sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)));
}

/** Status bar text: daemon state and running jobs; the spinner while any job runs. */
export function statusBarText(state: string, running: number): string {
  if (state === 'connected') return running > 0 ? `$(sync~spin) Cronium: ${running} running` : '$(pass) Cronium';
  if (state === 'starting' || state === 'connecting') return '$(loading~spin) Cronium: starting';
  if (state === 'idle') return '$(circle-outline) Cronium';
  return '$(circle-slash) Cronium: not running';
}
