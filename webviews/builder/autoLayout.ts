import dagre from '@dagrejs/dagre';
import type { WorkflowDocument } from './workflowDocument';

/** The size the canvas draws a node at (nodes.tsx), which the layout keeps apart. */
export const NODE_SIZE = { width: 220, height: 64 };

/**
 * Places every node left to right by its distance from the start nodes (dagre's layered layout), so a
 * workflow read from a file without positions, or tangled by hand, reads like the run it describes.
 */
export function autoLayout(document: WorkflowDocument): Map<string, { x: number; y: number }> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 32, ranksep: 80, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of document.nodes) graph.setNode(node.id, { ...NODE_SIZE });
  for (const edge of document.edges) if (graph.hasNode(edge.from) && graph.hasNode(edge.to)) graph.setEdge(edge.from, edge.to);
  dagre.layout(graph);
  const positions = new Map<string, { x: number; y: number }>();
  for (const id of graph.nodes()) {
    const { x, y } = graph.node(id);
    // dagre gives centres; the canvas places nodes by their top-left corner.
    positions.set(id, { x: Math.round(x - NODE_SIZE.width / 2), y: Math.round(y - NODE_SIZE.height / 2) });
  }
  return positions;
}
