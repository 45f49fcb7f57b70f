import type { DryRunResult, StepStatus, WorkflowEdge, WorkflowRunDto } from '../../daemon/protocol/workflows';
import type { DryRunChoice } from '../protocol/builder';

/** A step's state as the canvas shows it. */
export type StepState = 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

const STATES: Record<StepStatus, StepState> = {
  pending: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  timed_out: 'failed',
  cancelled: 'cancelled',
  skipped: 'skipped',
};

/** The canvas's state of each step: a run's steps, or what a dry run says would happen. */
export function stepStates(run: WorkflowRunDto | null, dryRun: DryRunResult | null): Map<string, StepState> {
  if (run !== null) return new Map(run.steps.map((step) => [step.id, STATES[step.status]]));
  if (dryRun !== null) {
    return new Map(dryRun.steps.map((step) => [step.id, step.wouldRun ? (step.outcome?.status === 'failed' ? 'failed' : 'succeeded') : 'skipped']));
  }
  return new Map();
}

const ENDED = new Set<StepStatus>(['succeeded', 'failed', 'timed_out', 'cancelled']);

/**
 * Which edges fired: as a dry run says, or, for a run, by the engine's rule on the source step's
 * outcome (on_success: it succeeded; on_failure: it failed or timed out; always: it ended; on_condition:
 * it set its condition true). Edges whose source has not ended are left out (undecided).
 */
export function firedEdges(edges: readonly WorkflowEdge[], run: WorkflowRunDto | null, dryRun: DryRunResult | null): Map<string, boolean> {
  if (dryRun !== null) return new Map(dryRun.edges.map((edge) => [`${edge.from}->${edge.to}`, edge.fires]));
  const fired = new Map<string, boolean>();
  if (run === null) return fired;
  const steps = new Map(run.steps.map((step) => [step.id, step]));
  for (const edge of edges) {
    const source = steps.get(edge.from);
    if (source === undefined) continue;
    if (source.status === 'skipped') fired.set(`${edge.from}->${edge.to}`, false);
    if (!ENDED.has(source.status)) continue;
    const fires =
      edge.when === 'always' ||
      (edge.when === 'on_success' && source.status === 'succeeded') ||
      (edge.when === 'on_failure' && (source.status === 'failed' || source.status === 'timed_out')) ||
      (edge.when === 'on_condition' && source.condition === true);
    fired.set(`${edge.from}->${edge.to}`, fires);
  }
  return fired;
}

export const CHOICES: { label: string; choice: DryRunChoice }[] = [
  { label: 'Succeeds', choice: { status: 'succeeded' } },
  { label: 'Succeeds, condition true', choice: { status: 'succeeded', condition: true } },
  { label: 'Succeeds, condition false', choice: { status: 'succeeded', condition: false } },
  { label: 'Fails', choice: { status: 'failed' } },
];

export const choiceLabel = (choice: DryRunChoice | undefined): string =>
  CHOICES.find((c) => c.choice.status === choice?.status && c.choice.condition === choice?.condition)?.label ?? 'Succeeds';

/** "succeeded · manual · 14:05:03 · 2.1 s" */
export function runSummary(run: WorkflowRunDto): string {
  const at = new Date(run.createdAt).toLocaleTimeString(undefined, { hour12: false });
  const took = run.durationMs === null ? '' : ` · ${(run.durationMs / 1000).toFixed(1)} s`;
  return `${run.status} · ${run.trigger} · ${at}${took}`;
}
