import type { JobStatus } from '../protocol/dto';
import { isTerminalStatus } from '../protocol/dto';

/** What the job's status is made of: each execution's status, server and attempt. */
export interface ExecutionStatusPart {
  status: JobStatus;
  serverId: string | null;
  attempt: number;
}

/**
 * A job's status from its executions (DESIGN §3). Only the latest attempt of each server counts (an
 * earlier attempt that failed was retried). While any of those is active the job is active; once all
 * ended, one outcome for all is the job's, and a mix where some succeeded is `partial`.
 */
export function deriveJobStatus(executions: readonly ExecutionStatusPart[]): JobStatus {
  if (executions.length === 0) return 'queued';
  const latest = new Map<string, ExecutionStatusPart>();
  for (const execution of executions) {
    const key = execution.serverId ?? '';
    const seen = latest.get(key);
    if (seen === undefined || execution.attempt >= seen.attempt) latest.set(key, execution);
  }
  const statuses = [...latest.values()].map((e) => e.status);
  if (statuses.includes('running')) return 'running';
  if (statuses.includes('claimed')) return 'claimed';
  if (statuses.includes('queued')) return statuses.some(isTerminalStatus) ? 'running' : 'queued';
  const distinct = new Set(statuses);
  if (distinct.size === 1) return statuses[0];
  if (distinct.has('succeeded') || distinct.has('partial')) return 'partial';
  // All failed in different ways: the worst one speaks for the job.
  for (const status of ['failed', 'timed_out', 'cancelled'] as const) if (distinct.has(status)) return status;
  return 'failed';
}
