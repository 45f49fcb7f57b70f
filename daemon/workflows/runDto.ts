import type { WorkflowRunDto, WorkflowStepDto } from '../protocol/workflows';
import type { RunRecord, StepRecord } from '../store/workflowStore';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toStepDto(step: StepRecord): WorkflowStepDto {
  return {
    id: step.nodeId,
    status: step.status,
    attempt: step.attempt,
    jobId: step.jobId,
    input: step.input ?? null,
    output: step.output ?? null,
    condition: step.condition,
    startedAt: iso(step.startedAt),
    finishedAt: iso(step.finishedAt),
    durationMs: step.startedAt !== null && step.finishedAt !== null ? step.finishedAt - step.startedAt : null,
    reason: step.reason,
  };
}

export function toRunSummary(run: RunRecord): Omit<WorkflowRunDto, 'steps'> {
  return {
    id: run.id,
    workflowId: run.workflowId,
    workflowName: run.workflowName,
    status: run.status,
    trigger: run.trigger,
    input: run.input ?? null,
    createdAt: new Date(run.createdAt).toISOString(),
    finishedAt: iso(run.finishedAt),
    durationMs: run.finishedAt === null ? null : run.finishedAt - run.createdAt,
    resumes: run.resumes,
  };
}

export function toRunDto(run: RunRecord, steps: readonly StepRecord[]): WorkflowRunDto {
  return { ...toRunSummary(run), steps: [...steps].sort((a, b) => a.seq - b.seq).map(toStepDto) };
}
