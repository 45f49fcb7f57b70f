import type { ContainerDetailsDto, ExecutionDto, JobDto } from '../protocol/dto';
import type { ExecutionRecord } from '../store/executionRecord';
import type { JobRecord } from '../store/jobStore';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const asObject = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

/** The execution a job's summary shows: its latest (the last retry, the last server started). */
export function primaryExecution(executions: readonly ExecutionRecord[]): ExecutionRecord | undefined {
  let primary: ExecutionRecord | undefined;
  for (const execution of executions) if (primary === undefined || execution.attempt >= primary.attempt) primary = execution;
  return primary;
}

export function toExecutionDto(execution: ExecutionRecord, liveLogLines?: number): ExecutionDto {
  return {
    id: execution.id,
    jobId: execution.jobId,
    attempt: execution.attempt,
    serverId: execution.serverId,
    target: execution.target,
    status: execution.status,
    createdAt: new Date(execution.createdAt).toISOString(),
    claimedAt: iso(execution.claimedAt),
    startedAt: iso(execution.startedAt),
    finishedAt: iso(execution.finishedAt),
    durationMs:
      execution.startedAt !== null && execution.finishedAt !== null ? execution.finishedAt - execution.startedAt : null,
    exitCode: execution.exitCode,
    signal: execution.signal,
    lastError: execution.lastError,
    error: execution.error,
    logLines: liveLogLines ?? execution.logLines,
    output: execution.output ?? null,
    condition: execution.condition,
    notice: execution.notice,
    options: asObject(execution.options),
    handle: asObject(execution.handle),
  };
}

/**
 * A job as clients see it. `liveLogLines` gives the line count of executions still running (the store
 * has it only as of the last batch).
 */
export function toJobDto(job: JobRecord, executions: readonly ExecutionRecord[], liveLogLines: (id: string) => number | undefined = () => undefined): JobDto {
  const dtos = executions.map((e) => toExecutionDto(e, liveLogLines(e.id)));
  const primaryRecord = primaryExecution(executions);
  const primary = primaryRecord === undefined ? undefined : dtos[executions.indexOf(primaryRecord)];
  return {
    id: job.id,
    name: job.name,
    scriptSha256: job.scriptSha256,
    runtime: job.runtime,
    target: primary?.target ?? job.requestedTarget,
    requestedTarget: job.requestedTarget,
    status: job.status,
    source: job.source,
    eventId: job.eventId,
    cwd: job.cwd,
    timeoutMs: job.timeoutMs,
    createdAt: new Date(job.createdAt).toISOString(),
    claimedAt: primary?.claimedAt ?? null,
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    durationMs: job.startedAt !== null && job.finishedAt !== null ? job.finishedAt - job.startedAt : null,
    exitCode: primary?.exitCode ?? null,
    signal: primary?.signal ?? null,
    pid: typeof primary?.handle?.pid === 'number' ? primary.handle.pid : null,
    lastError: primary?.lastError ?? null,
    error: primary?.error ?? null,
    logLines: primary?.logLines ?? 0,
    envKeys: job.envKeys,
    input: job.input ?? null,
    output: primary?.output ?? null,
    condition: primary?.condition ?? null,
    notice: primary?.notice ?? null,
    container: primary === undefined ? null : containerDetails(primary),
    executions: dtos,
  };
}

/** The summary of a container execution, from the container executor's options and handle. */
function containerDetails(execution: ExecutionDto): ContainerDetailsDto | null {
  const options = execution.options;
  if (execution.target !== 'container' || options === null) return null;
  const number = (key: string): number => (typeof options[key] === 'number' ? (options[key] as number) : 0);
  return {
    image: typeof options.image === 'string' ? options.image : null,
    memoryBytes: number('memoryBytes'),
    nanoCpus: number('nanoCpus'),
    pidsLimit: number('pidsLimit'),
    network: options.network === true,
    containerId: typeof execution.handle?.containerId === 'string' ? execution.handle.containerId : null,
  };
}
