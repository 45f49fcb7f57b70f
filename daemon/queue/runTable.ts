import type { ExecutionRun } from './executionRun';

/** The executions this daemon runs right now, by execution id and by job. */
export class RunTable {
  private readonly byId = new Map<string, ExecutionRun>();
  private readonly byJob = new Map<string, Set<ExecutionRun>>();

  get size(): number {
    return this.byId.size;
  }

  add(run: ExecutionRun): void {
    this.byId.set(run.id, run);
    let runs = this.byJob.get(run.record.jobId);
    if (runs === undefined) this.byJob.set(run.record.jobId, (runs = new Set()));
    runs.add(run);
  }

  delete(run: ExecutionRun): void {
    if (this.byId.get(run.id) !== run) return;
    this.byId.delete(run.id);
    const runs = this.byJob.get(run.record.jobId);
    runs?.delete(run);
    if (runs?.size === 0) this.byJob.delete(run.record.jobId);
  }

  get(executionId: string): ExecutionRun | undefined {
    return this.byId.get(executionId);
  }

  /** The job's running executions (several for a multi-server run). */
  ofJob(jobId: string): ExecutionRun[] {
    return [...(this.byJob.get(jobId) ?? [])];
  }

  all(): ExecutionRun[] {
    return [...this.byId.values()];
  }
}
