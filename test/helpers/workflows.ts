import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import {
  GetWorkflowRunRequest,
  RunWorkflowRequest,
  SubscribeWorkflowsRequest,
  WorkflowChangedNotification,
  WorkflowRunChangedNotification,
  type RunWorkflowParams,
  type WorkflowDto,
  type WorkflowRunDto,
  type WorkflowStepDto,
} from '../../daemon/protocol/workflows';

/** Writes `document` as `NAME.cronium.json` into `dir` and returns its path. */
export function writeWorkflow(dir: string, document: { name: string } & Record<string, unknown>, fileName = `${document.name}.cronium.json`): string {
  const file = join(dir, fileName);
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
}

/** A bash script node on the host. */
export function bash(id: string, content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, script: { runtime: 'bash', content }, target: 'local', ...extra };
}

export interface StepChange {
  runId: string;
  step: WorkflowStepDto;
}

/**
 * Follows `workflows/didChangeRun` and `workflows/didChange` on a client: every step change in order,
 * and promises that settle on a run's end or a workflow's change (notifications that came before
 * anyone waited are kept, so none is missed).
 */
export class WorkflowWatcher {
  readonly changes: StepChange[] = [];
  readonly workflowChanges: WorkflowDto[] = [];
  /** How many times each run ended so far (a resumed run ends again). */
  private readonly ends = new Map<string, number>();
  private readonly waiters: (() => boolean)[] = [];

  private constructor(private readonly client: DaemonClient) {
    client.connection.onNotification(WorkflowRunChangedNotification, ({ run, steps }) => {
      for (const step of steps) this.changes.push({ runId: run.id, step });
      if (run.status !== 'running' && steps.length === 0) this.ends.set(run.id, (this.ends.get(run.id) ?? 0) + 1);
      this.wake();
    });
    client.connection.onNotification(WorkflowChangedNotification, ({ workflow }) => {
      this.workflowChanges.push(workflow);
      this.wake();
    });
  }

  static async attach(client: DaemonClient): Promise<WorkflowWatcher> {
    const watcher = new WorkflowWatcher(client);
    await client.request(SubscribeWorkflowsRequest, {});
    return watcher;
  }

  /** Resolves when `check` holds, re-checked on every notification. */
  until<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      const test = (): boolean => {
        const value = check();
        if (value === undefined) return false;
        clearTimeout(timer);
        resolve(value);
        return true;
      };
      if (!test()) this.waiters.push(test);
    });
  }

  /** The run as stored once it has ended (for the `times`-th time: a resumed run ends again). */
  async finished(runId: string, timeoutMs = 30_000, times = 1): Promise<WorkflowRunDto> {
    await this.until(`run ${runId} to end`, () => ((this.ends.get(runId) ?? 0) >= times ? true : undefined), timeoutMs);
    return (await this.client.request(GetWorkflowRunRequest, { run: runId })).run;
  }

  /** Resolves once `nodeId` of `runId` reached `status` (with a job, for running). */
  step(runId: string, nodeId: string, status: WorkflowStepDto['status']): Promise<WorkflowStepDto> {
    return this.until(`step ${nodeId} to be ${status}`, () =>
      this.changes.find((c) => c.runId === runId && c.step.id === nodeId && c.step.status === status && (status !== 'running' || c.step.jobId !== null))?.step,
    );
  }

  /** Statuses a step went through, in order, without repeats. */
  statuses(runId: string, nodeId: string): string[] {
    const seen: string[] = [];
    for (const c of this.changes) if (c.runId === runId && c.step.id === nodeId && seen[seen.length - 1] !== c.step.status) seen.push(c.step.status);
    return seen;
  }

  private wake(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) if (this.waiters[i]()) this.waiters.splice(i, 1);
  }
}

/** Starts a run and resolves with it once it ended. */
export async function runWorkflow(client: DaemonClient, watcher: WorkflowWatcher, params: RunWorkflowParams, timeoutMs?: number): Promise<WorkflowRunDto> {
  const { run } = await client.request(RunWorkflowRequest, params);
  return watcher.finished(run.id, timeoutMs);
}

/** The steps of a run by node id. */
export function stepsById(run: WorkflowRunDto): Record<string, WorkflowStepDto> {
  return Object.fromEntries(run.steps.map((s) => [s.id, s]));
}
