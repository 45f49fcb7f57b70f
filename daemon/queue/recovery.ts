import { coerceError } from '../errors';
import type { ExecutionResult, RecoveredExecution } from '../executors/executor';
import type { ExecutorRegistry } from '../executors/registry';
import type { Logger } from '../logger';
import type { ExecutionRecord } from '../store/executionRecord';
import type { ExecutionStore } from '../store/executionStore';
import type { JobRecord, JobStore } from '../store/jobStore';
import type { Dispatcher } from './dispatcher';
import type { ExecutionRun } from './executionRun';

export interface RecoveryDeps {
  jobs: JobStore;
  executions: ExecutionStore;
  registry: ExecutorRegistry;
  dispatcher: Dispatcher;
  logger: Logger;
}

/**
 * After a restart: every executor gets the executions of its target that were claimed or running, and
 * re-adopts, finalizes or gives up each one (it finds them by the handle it gave when they started).
 * Those given up are recorded `failed` (`daemon_lost`).
 */
export async function recoverLostExecutions(deps: RecoveryDeps): Promise<void> {
  const active = deps.executions.active();
  const kinds = new Set<string>(deps.registry.kinds());
  // Claimed but never given a target: the daemon stopped before anything was started.
  for (const execution of active.filter((e) => !kinds.has(e.target))) lose(deps, execution);
  for (const kind of deps.registry.kinds()) {
    const executor = deps.registry.get(kind);
    const lost = active.filter((execution) => execution.target === kind);
    if (lost.length === 0) continue;
    if (executor.recover === undefined) {
      for (const execution of lost) lose(deps, execution);
      continue;
    }
    const pending = new Map<string, ExecutionRun>();
    for (const execution of lost) {
      const job = deps.jobs.get(execution.jobId) as JobRecord;
      pending.set(execution.id, deps.dispatcher.newRun(execution, job, { seq: execution.logLines, bytes: execution.storedBytes }));
    }
    let recovered: RecoveredExecution[];
    let failure: string | undefined;
    try {
      recovered = await executor.recover(
        lost.map((execution) => ({ executionId: execution.id, jobId: execution.jobId, handle: execution.handle, storedBytes: execution.storedBytes })),
        (executionId) => (pending.get(executionId) as ExecutionRun).hooks,
      );
    } catch (e) {
      // E.g. the Docker engine is down: its executions cannot be found again, so they are given up.
      failure = coerceError(e).message;
      deps.logger.warn(`recovering ${kind} executions failed: ${failure}`);
      recovered = [];
    }
    for (const outcome of recovered) {
      const run = pending.get(outcome.executionId);
      if (run === undefined) continue;
      pending.delete(outcome.executionId);
      if (outcome.state === 'gone') {
        lose(deps, run.record);
        continue;
      }
      const execution =
        outcome.state === 'adopted' ? outcome.execution : { done: Promise.resolve<ExecutionResult>(outcome.result), stop: () => undefined };
      deps.logger.info(`execution ${run.id}: ${outcome.state === 'adopted' ? 're-adopted' : 'finished while the daemon was down'}`);
      deps.dispatcher.watch(run);
      run.attach(execution);
    }
    for (const run of pending.values()) lose(deps, run.record, failure);
  }
}

/** Records an execution the daemon lost track of; `why` says why it could not be found again, if it was looked for. */
function lose(deps: RecoveryDeps, execution: ExecutionRecord, why?: string): void {
  const message =
    why === undefined ? 'The daemon stopped while this job ran' : `The daemon stopped while this job ran, and could not find it again: ${why}`;
  deps.logger.warn(`execution ${execution.id} was ${execution.status} when the daemon stopped: recorded failed (daemon_lost)`);
  deps.dispatcher.finishWithoutRun(execution, 'failed', message, { kind: 'daemon_lost', message });
}
