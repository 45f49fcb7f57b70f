import type { Condition, WorkflowDocument, WorkflowEdge, WorkflowNode } from './workflowDocument';

/**
 * The builder's edits, as pure functions of the document: each returns the next document (the host
 * writes its text to the file, so undo, redo and the dirty state are VS Code's) or why it was refused.
 */
export type EditResult = { ok: true; document: WorkflowDocument } | { ok: false; reason: string };

/** An edge's identity on the canvas: at most one edge joins two nodes in one direction. */
export const edgeId = (edge: Pick<WorkflowEdge, 'from' | 'to'>): string => `${edge.from}->${edge.to}`;

/** A fresh node id from `base` ("build", "build-2", …), unique in `taken`. */
export function freshId(base: string, taken: ReadonlySet<string>): string {
  const stem = base.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'step';
  if (!taken.has(stem)) return stem;
  for (let n = 2; ; n++) if (!taken.has(`${stem}-${n}`)) return `${stem}-${n}`;
}

/** Adds `node`, under its id if that is free, else under a fresh one made from it. */
export function addNode(document: WorkflowDocument, node: WorkflowNode): { document: WorkflowDocument; id: string } {
  const taken = new Set(document.nodes.map((n) => n.id));
  const id = freshId(node.id, taken);
  return { document: { ...document, nodes: [...document.nodes, { ...node, id }] }, id };
}

export function moveNodes(document: WorkflowDocument, positions: ReadonlyMap<string, { x: number; y: number }>): WorkflowDocument {
  const rounded = (p: { x: number; y: number }) => ({ x: Math.round(p.x), y: Math.round(p.y) });
  return {
    ...document,
    nodes: document.nodes.map((node) => {
      const at = positions.get(node.id);
      return at === undefined ? node : { ...node, position: rounded(at) };
    }),
  };
}

/** The nodes from `start` to `goal` along the edges, if `goal` can be reached (breadth first: the shortest). */
export function pathBetween(edges: readonly WorkflowEdge[], start: string, goal: string): string[] | undefined {
  const previous = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift() as string;
    if (at === goal) {
      const path: string[] = [];
      for (let step: string | null = goal; step !== null; step = previous.get(step) ?? null) path.unshift(step);
      return path;
    }
    for (const edge of edges) {
      if (edge.from === at && !previous.has(edge.to)) {
        previous.set(edge.to, at);
        queue.push(edge.to);
      }
    }
  }
  return undefined;
}

/** Draws an edge, or says why not: a self-loop, a second edge between the same nodes, or a cycle (with its path). */
export function connect(document: WorkflowDocument, from: string, to: string, when: Condition = 'on_success'): EditResult {
  const ids = new Set(document.nodes.map((n) => n.id));
  if (!ids.has(from) || !ids.has(to)) return { ok: false, reason: `There is no node '${ids.has(from) ? to : from}'.` };
  if (from === to) return { ok: false, reason: `A step cannot follow itself ('${from}' → '${from}').` };
  if (document.edges.some((e) => e.from === from && e.to === to)) {
    return { ok: false, reason: `'${from}' → '${to}' is drawn already; change its condition instead.` };
  }
  const back = pathBetween(document.edges, to, from);
  if (back !== undefined) {
    return { ok: false, reason: `This edge would close a cycle: ${[from, ...back].join(' → ')}. A workflow runs each step once.` };
  }
  return { ok: true, document: { ...document, edges: [...document.edges, { from, to, when }] } };
}

export function setCondition(document: WorkflowDocument, id: string, when: Condition): WorkflowDocument {
  return { ...document, edges: document.edges.map((edge) => (edgeId(edge) === id ? { ...edge, when } : edge)) };
}

/** Removes nodes (with every edge that touches them) and edges. */
export function remove(document: WorkflowDocument, nodeIds: ReadonlySet<string>, edgeIds: ReadonlySet<string> = new Set()): WorkflowDocument {
  return {
    ...document,
    nodes: document.nodes.filter((node) => !nodeIds.has(node.id)),
    edges: document.edges.filter((edge) => !nodeIds.has(edge.from) && !nodeIds.has(edge.to) && !edgeIds.has(edgeId(edge))),
  };
}

/** What Copy takes: the selected nodes and the edges between them. */
export interface Clipboard {
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
}

export function copy(document: WorkflowDocument, nodeIds: ReadonlySet<string>): Clipboard {
  return {
    nodes: document.nodes.filter((node) => nodeIds.has(node.id)),
    edges: document.edges.filter((edge) => nodeIds.has(edge.from) && nodeIds.has(edge.to)),
  };
}

/** Pastes copies with fresh ids, moved by `offset`; returns the new ids (the builder selects them). */
export function paste(document: WorkflowDocument, clipboard: Clipboard, offset = { x: 40, y: 40 }): { document: WorkflowDocument; ids: string[] } {
  const taken = new Set(document.nodes.map((n) => n.id));
  const renamed = new Map<string, string>();
  const nodes = clipboard.nodes.map((node) => {
    const id = freshId(node.id, taken);
    taken.add(id);
    renamed.set(node.id, id);
    const at = node.position ?? { x: 0, y: 0 };
    return { ...node, id, position: { x: at.x + offset.x, y: at.y + offset.y } };
  });
  const edges = clipboard.edges.map((edge) => ({ ...edge, from: renamed.get(edge.from) as string, to: renamed.get(edge.to) as string }));
  return { document: { ...document, nodes: [...document.nodes, ...nodes], edges: [...document.edges, ...edges] }, ids: nodes.map((n) => n.id) };
}
