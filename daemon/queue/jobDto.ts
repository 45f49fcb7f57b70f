import type { JobDto } from '../protocol/dto';
import type { JobRecord } from '../store/jobStore';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toJobDto(job: JobRecord): JobDto {
  return {
    id: job.id,
    name: job.name,
    runtime: job.runtime,
    target: job.target,
    requestedTarget: job.requestedTarget,
    status: job.status,
    cwd: job.cwd,
    timeoutMs: job.timeoutMs,
    createdAt: new Date(job.createdAt).toISOString(),
    claimedAt: iso(job.claimedAt),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    durationMs: job.startedAt !== null && job.finishedAt !== null ? job.finishedAt - job.startedAt : null,
    exitCode: job.exitCode,
    signal: job.signal,
    pid: job.pid,
    lastError: job.lastError,
    error: job.error,
    logLines: job.logLines,
    envKeys: job.envKeys,
    input: job.input ?? null,
    output: job.output ?? null,
    condition: job.condition,
    container:
      job.container === null
        ? null
        : { ...job.container, image: job.container.image ?? null, containerId: job.containerId },
  };
}
