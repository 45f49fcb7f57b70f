import type {
  DryRunOutcome,
  DryRunResult,
  EdgeCondition,
  RunStatus,
  StepStatus,
  WorkflowDocument,
  WorkflowEdge,
} from '../protocol/workflows';

/** What the rules need of a step: how it ended (or that it has not) and the condition it set. */
export interface StepState {
  status: StepStatus;
  condition: boolean | null;
  output?: unknown;
}

const FAILED: readonly StepStatus[] = ['failed', 'timed_out', 'cancelled'];

export function isFailure(status: StepStatus): boolean {
  return FAILED.includes(status);
}

/** A step that will not change any more (in this attempt). */
export function isDecided(status: StepStatus): boolean {
  return status !== 'pending' && status !== 'running';
}

/**
 * Whether an edge fires given its source's state; undefined while the source has not ended. A skipped
 * source fires nothing. `always` fires on any end, `on_success` on success, `on_failure` on a failure
 * (failed, timed out, cancelled), `on_condition` when the source called `setCondition(true)`.
 */
export function edgeFires(when: EdgeCondition, source: StepState): boolean | undefined {
  if (!isDecided(source.status)) return undefined;
  if (source.status === 'skipped') return false;
  const failed = isFailure(source.status);
  switch (when) {
    case 'always':
      return true;
    case 'on_success':
      return !failed;
    case 'on_failure':
      return failed;
    case 'on_condition':
      return source.condition === true;
  }
}

export type Decision = 'wait' | 'run' | 'skip';

/** The edges of a (valid) document by node, and its start nodes. */
export class WorkflowGraph {
  readonly ids: string[];
  readonly incoming = new Map<string, WorkflowEdge[]>();
  readonly outgoing = new Map<string, WorkflowEdge[]>();
  readonly starts: string[];

  constructor(readonly document: WorkflowDocument) {
    this.ids = document.nodes.map((node) => node.id);
    for (const id of this.ids) {
      this.incoming.set(id, []);
      this.outgoing.set(id, []);
    }
    for (const edge of document.edges) {
      this.incoming.get(edge.to)?.push(edge);
      this.outgoing.get(edge.from)?.push(edge);
    }
    this.starts = this.ids.filter((id) => (this.incoming.get(id) ?? []).length === 0);
  }

  /**
   * A step runs once all its incoming edges are decided and at least one fired; it is skipped when
   * all are decided and none fired; it waits otherwise. A start node always runs.
   */
  decide(id: string, state: (id: string) => StepState): Decision {
    const edges = this.incoming.get(id) ?? [];
    if (edges.length === 0) return 'run';
    let fired = false;
    for (const edge of edges) {
      const fires = edgeFires(edge.when, state(edge.from));
      if (fires === undefined) return 'wait';
      fired ||= fires;
    }
    return fired ? 'run' : 'skip';
  }

  /**
   * A step's input: the run's input for a start node; its predecessor's output when it has one
   * predecessor; with several (fan-in), an object keyed by node id of the predecessors whose edge
   * fired, each with its output (null when it sent none).
   */
  inputOf(id: string, state: (id: string) => StepState, runInput: unknown): unknown {
    const edges = this.incoming.get(id) ?? [];
    if (edges.length === 0) return runInput;
    const fired = edges.filter((edge) => edgeFires(edge.when, state(edge.from)) === true);
    if (edges.length === 1) return fired.length === 1 ? (state(edges[0].from).output ?? null) : null;
    return Object.fromEntries(fired.map((edge) => [edge.from, state(edge.from).output ?? null]));
  }

  /** A failed step is handled when one of its outgoing edges fired (an on_failure or always path ran). */
  handled(id: string, state: (id: string) => StepState): boolean {
    return (this.outgoing.get(id) ?? []).some((edge) => edgeFires(edge.when, state(edge.from)) === true);
  }

  /**
   * The status of a run whose steps are all decided: `succeeded` when no step failed, `partial` when
   * every failure was handled, else `failed`.
   */
  runStatus(state: (id: string) => StepState): Exclude<RunStatus, 'running' | 'cancelled'> {
    const failures = this.ids.filter((id) => isFailure(state(id).status));
    if (failures.length === 0) return 'succeeded';
    return failures.every((id) => this.handled(id, state)) ? 'partial' : 'failed';
  }

  /** Node ids in an order where every edge goes forward (the document is valid: no cycle). */
  topological(): string[] {
    const indegree = new Map(this.ids.map((id) => [id, (this.incoming.get(id) ?? []).length]));
    const order: string[] = [];
    const ready = this.ids.filter((id) => indegree.get(id) === 0);
    while (ready.length > 0) {
      const id = ready.shift() as string;
      order.push(id);
      for (const edge of this.outgoing.get(id) ?? []) {
        const left = (indegree.get(edge.to) ?? 0) - 1;
        indegree.set(edge.to, left);
        if (left === 0) ready.push(edge.to);
      }
    }
    return order;
  }
}

/**
 * A dry run: which steps would run and which edges fire, given the outcome chosen for each step that
 * runs (a step not named succeeds and sets no condition). The same rules as a real run (graph.ts).
 */
export function dryRun(document: WorkflowDocument, outcomes: Record<string, DryRunOutcome> = {}): DryRunResult {
  const graph = new WorkflowGraph(document);
  const states = new Map<string, StepState>(graph.ids.map((id) => [id, { status: 'pending', condition: null }]));
  const state = (id: string) => states.get(id) as StepState;
  const steps: DryRunResult['steps'] = [];
  for (const id of graph.topological()) {
    if (graph.decide(id, state) === 'run') {
      const outcome = outcomes[id] ?? { status: 'succeeded' };
      states.set(id, { status: outcome.status, condition: outcome.condition ?? null });
      steps.push({ id, wouldRun: true, outcome, reason: null });
    } else {
      states.set(id, { status: 'skipped', condition: null });
      steps.push({ id, wouldRun: false, outcome: null, reason: skipReason(graph, id, state) });
    }
  }
  const order = new Map(graph.ids.map((id, i) => [id, i]));
  steps.sort((a, b) => (order.get(a.id) as number) - (order.get(b.id) as number));
  return {
    steps,
    edges: document.edges.map((edge) => ({ ...edge, fires: edgeFires(edge.when, state(edge.from)) === true })),
    status: graph.runStatus(state),
  };
}

/** Why a step was skipped, in words: the edges that did not fire. */
export function skipReason(graph: WorkflowGraph, id: string, state: (id: string) => StepState): string {
  const why = (graph.incoming.get(id) ?? []).map((edge) => {
    const source = state(edge.from);
    return source.status === 'skipped' ? `${edge.from} was skipped` : `${edge.from} ${source.status} (edge ${edge.when})`;
  });
  return `no incoming edge fired: ${why.join('; ')}`;
}
