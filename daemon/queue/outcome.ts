import { formatMs } from '../durations';
import { CroniumError } from '../errors';
import type { ExecutionResult } from '../executors/executor';
import type { JobErrorDto, JobStatus } from '../protocol/dto';

/** Why the daemon stopped a job, if it did. */
export type StopReason = 'cancel' | 'timeout' | 'shutdown';

export interface Outcome {
  status: JobStatus;
  lastError: string | null;
  error: JobErrorDto | null;
}

/** The recorded status of a finished execution: the daemon's reason to stop wins over the exit code. */
export function outcomeOf(result: ExecutionResult, stopReason: StopReason | undefined, timeoutMs: number | null): Outcome {
  if (stopReason === 'timeout') {
    const message = `Timed out after ${formatMs(timeoutMs ?? 0)}`;
    return { status: 'timed_out', lastError: message, error: { kind: 'timeout', message, timeoutMs } };
  }
  if (stopReason === 'cancel') {
    const message = 'Cancelled';
    return { status: 'cancelled', lastError: message, error: { kind: 'cancelled', message } };
  }
  if (stopReason === 'shutdown') {
    const message = 'Cancelled because the daemon shut down';
    return { status: 'cancelled', lastError: message, error: { kind: 'daemon_shutdown', message } };
  }
  if (result.spawnError) {
    const message = result.spawnError.message;
    // A typed reason (e.g. the target became unavailable before the execution was claimed) is kept.
    const kind = CroniumError.is(result.spawnError) ? result.spawnError.kind : 'spawn_failed';
    return { status: 'failed', lastError: message, error: { kind, message } };
  }
  if (result.exitCode === 0) return { status: 'succeeded', lastError: null, error: null };
  if (result.exitCode !== null) {
    const message = `Exited with code ${result.exitCode}`;
    return { status: 'failed', lastError: message, error: { kind: 'exit_code', message, exitCode: result.exitCode } };
  }
  const message = `Killed by ${result.signal ?? 'an unknown signal'}`;
  return { status: 'failed', lastError: message, error: { kind: 'signal', message, signal: result.signal } };
}
