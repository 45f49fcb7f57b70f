import type { DaemonClient } from '../client/daemonClient';
import { DaemonNotRunningError } from '../client/errors';
import type { LogLineDto } from '../protocol/dto';
import { SubscribeLogsRequest } from '../protocol/logs';
import {
  GetWorkflowRunRequest,
  SubscribeWorkflowsRequest,
  WorkflowRunChangedNotification,
  type WorkflowRunDto,
  type WorkflowStepDto,
} from '../protocol/workflows';

/** How long the last step logs may take to arrive after the run's end. */
const LOG_TAIL_MS = 5000;

export interface RunFollower {
  /** Settles with the run as stored once it ended and the logs of its steps arrived. */
  finished(runId: string): Promise<WorkflowRunDto>;
}

export interface FollowHandlers {
  /** A step changed status (with its job once it has one). */
  step?: (step: WorkflowStepDto) => void;
  /** Lines of a step's job, when logs are followed. */
  lines?: (nodeId: string, lines: LogLineDto[]) => void;
}

/**
 * Subscribes to workflow notifications before the run is started (its first steps start while
 * `workflows/run` is answered): changes are kept until the run's id is known, then handed on in order.
 * Each step's job log is followed from its first line.
 */
export async function followRuns(client: DaemonClient, handlers: FollowHandlers): Promise<RunFollower> {
  const kept: { runId: string; status: string; steps: WorkflowStepDto[] }[] = [];
  let target: string | undefined;
  let ended = false;
  let onEnd = (): void => undefined;
  const logs = new Map<string, Promise<void>>();
  const lastStatus = new Map<string, string>();

  const followLog = (step: WorkflowStepDto): void => {
    const jobId = step.jobId;
    // Only jobs started in this run's life: a resumed run still names the jobs of earlier attempts.
    if (handlers.lines === undefined || step.status !== 'running' || jobId === null || logs.has(jobId)) return;
    const done = new Promise<void>((resolve) => {
      client.listen(jobId, { lines: (lines) => handlers.lines?.(step.id, lines), end: () => resolve() });
      client.request(SubscribeLogsRequest, { jobId, afterSeq: 0 }).catch(() => resolve());
    });
    logs.set(jobId, done);
  };
  const handle = (change: { status: string; steps: WorkflowStepDto[] }): void => {
    for (const step of change.steps) {
      const key = `${step.id}:${step.status}:${step.jobId ?? ''}`;
      if (lastStatus.get(step.id) !== key) handlers.step?.(step);
      lastStatus.set(step.id, key);
      followLog(step);
    }
    if (change.status !== 'running' && change.steps.length === 0) {
      ended = true;
      onEnd();
    }
  };
  client.connection.onNotification(WorkflowRunChangedNotification, ({ run, steps }) => {
    if (target === undefined) kept.push({ runId: run.id, status: run.status, steps });
    else if (run.id === target) handle({ status: run.status, steps });
  });
  await client.request(SubscribeWorkflowsRequest, {});

  return {
    async finished(runId: string): Promise<WorkflowRunDto> {
      target = runId;
      for (const change of kept.splice(0)) if (change.runId === runId) handle(change);
      await new Promise<void>((resolve, reject) => {
        if (ended) resolve();
        onEnd = resolve;
        void client.closed.then(() => reject(new DaemonNotRunningError(client.home, true)));
      });
      const tail = new Promise<void>((resolve) => setTimeout(resolve, LOG_TAIL_MS).unref());
      await Promise.race([Promise.all(logs.values()), tail]);
      return (await client.request(GetWorkflowRunRequest, { run: runId })).run;
    },
  };
}
