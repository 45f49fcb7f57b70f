import type { WorkflowDocument, WorkflowIssue, WorkflowNode } from '../protocol/workflows';

/** What validation needs to know beyond the document. */
export interface ValidationContext {
  /** The script of a saved event by name (null when it runs a file or an HTTP request); undefined: no such event. */
  eventScript: (name: string) => string | null | undefined;
}

export interface Validation {
  errors: WorkflowIssue[];
  warnings: WorkflowIssue[];
}

const error = (code: WorkflowIssue['code'], message: string, nodes: string[]): WorkflowIssue => ({ severity: 'error', code, message, nodes });

/** How a script sets the condition of its step, in each helper library (DESIGN §3). */
const SETS_CONDITION = /setCondition|set_condition|cronium_set_condition/;

/**
 * Graph checks of a document the schema accepted, with reasons that name the nodes: duplicate ids,
 * dangling edges, self-loops, duplicate edges, cycles (with their path), no start node, nodes no start
 * node reaches, unknown events; a warning for an `on_condition` edge whose source can never set one.
 * Pure: no I/O.
 */
export function validateWorkflow(document: WorkflowDocument, context: ValidationContext): Validation {
  const errors: WorkflowIssue[] = [];
  const warnings: WorkflowIssue[] = [];
  const ids = new Set<string>();
  for (const node of document.nodes) {
    if (ids.has(node.id)) errors.push(error('duplicate_node', `node id ${node.id} is used by more than one node`, [node.id]));
    ids.add(node.id);
  }
  const byId = new Map(document.nodes.map((node) => [node.id, node]));
  const seen = new Map<string, string[]>();
  const out = new Map<string, string[]>([...ids].map((id) => [id, []]));
  const incoming = new Map<string, number>([...ids].map((id) => [id, 0]));
  document.edges.forEach((edge, index) => {
    const label = `edge ${index + 1} (${edge.from} → ${edge.to})`;
    const missing = [edge.from, edge.to].filter((id) => !ids.has(id));
    if (missing.length > 0) {
      errors.push(error('dangling_edge', `${label}: no node ${missing.map((m) => `"${m}"`).join(' and ')}`, [edge.from, edge.to].filter((id) => ids.has(id))));
      return;
    }
    if (edge.from === edge.to) {
      errors.push(error('self_loop', `${label}: node ${edge.from} cannot follow itself`, [edge.from]));
      return;
    }
    const key = `${edge.from}\u0000${edge.to}`;
    const whens = seen.get(key);
    if (whens !== undefined) {
      whens.push(edge.when);
      if (whens.length === 2) {
        errors.push(error('duplicate_edge', `more than one edge from ${edge.from} to ${edge.to}; keep one (use always for both outcomes)`, [edge.from, edge.to]));
      }
      return;
    }
    seen.set(key, [edge.when]);
    out.get(edge.from)?.push(edge.to);
    incoming.set(edge.to, (incoming.get(edge.to) ?? 0) + 1);
    if (edge.when === 'on_condition' && !canSetCondition(byId.get(edge.from) as WorkflowNode, context)) {
      warnings.push({
        severity: 'warning',
        code: 'condition_never_set',
        message: `${label} is on_condition, but ${edge.from} never calls setCondition: the edge will never fire`,
        nodes: [edge.from, edge.to],
      });
    }
  });

  for (const cycle of findCycles([...ids], out)) {
    errors.push(error('cycle', `cycle: ${[...cycle, cycle[0]].join(' → ')}`, cycle));
  }
  const starts = [...ids].filter((id) => incoming.get(id) === 0);
  if (starts.length === 0) {
    errors.push(error('no_start', 'no start node: every node has an incoming edge, so nothing can run first', []));
  } else {
    const reached = new Set<string>();
    const stack = [...starts];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (reached.has(id)) continue;
      reached.add(id);
      stack.push(...(out.get(id) ?? []));
    }
    const unreachable = [...ids].filter((id) => !reached.has(id));
    if (unreachable.length > 0) {
      errors.push(error('unreachable', `no start node reaches ${unreachable.join(', ')}`, unreachable));
    }
  }
  for (const node of document.nodes) {
    if (node.event !== undefined && context.eventScript(node.event) === undefined) {
      errors.push(error('unknown_event', `node ${node.id}: no event named ${node.event}`, [node.id]));
    }
  }
  return { errors, warnings };
}

/** False only when the node certainly never calls setCondition (an HTTP request, a script without the call). */
function canSetCondition(node: WorkflowNode, context: ValidationContext): boolean {
  if (node.http !== undefined) return false;
  if (node.script !== undefined) return SETS_CONDITION.test(node.script.content);
  const script = node.event === undefined ? undefined : context.eventScript(node.event);
  // An event that runs a file may call it: the file can change at any run.
  return script === null || script === undefined || SETS_CONDITION.test(script);
}

/** Every elementary cycle found by a depth-first search, each once, as the path of its node ids. */
function findCycles(ids: string[], out: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const keys = new Set<string>();
  const visit = (id: string): void => {
    state.set(id, 'open');
    path.push(id);
    for (const next of out.get(id) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = path.slice(path.indexOf(next));
        const key = [...cycle].sort().join('\u0000');
        if (!keys.has(key)) {
          keys.add(key);
          cycles.push(cycle);
        }
      } else if (state.get(next) === undefined) {
        visit(next);
      }
    }
    path.pop();
    state.set(id, 'done');
  };
  for (const id of ids) if (state.get(id) === undefined) visit(id);
  return cycles;
}
