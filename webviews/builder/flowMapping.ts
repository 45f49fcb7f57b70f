import { MarkerType } from '@xyflow/react';
import type { BuilderProblem } from '../protocol/builder';
import type { ConditionFlowEdge } from './ConditionEdge';
import type { StepState } from './runView';
import type { StepFlowNode } from './StepNode';
import { edgeId } from './graphEdits';
import { kindOf, type WorkflowDocument } from './workflowDocument';

/** Where a node without a position goes: a column per 8 nodes, so nothing lands on top of another. */
const fallbackPosition = (index: number) => ({ x: 40 + Math.floor(index / 8) * 280, y: 40 + (index % 8) * 96 });

/** React Flow's nodes for the document (React Flow's types stay inside webviews/, see STYLE.md). */
export function toFlowNodes(
  document: WorkflowDocument,
  problems: readonly BuilderProblem[],
  states: ReadonlyMap<string, StepState>,
  previous: readonly StepFlowNode[],
): StepFlowNode[] {
  const before = new Map(previous.map((node) => [node.id, node]));
  return document.nodes.map((node, index) => {
    const kind = kindOf(node);
    const was = before.get(node.id);
    return {
      id: node.id,
      type: 'step',
      position: node.position ?? fallbackPosition(index),
      selected: was?.selected ?? false,
      // React Flow hides a node it has no size for until it measures it again, and a node whose size did
      // not change is not measured again: a redrawn step keeps the size it was measured at.
      measured: was?.measured,
      data: {
        title: node.name ?? node.event ?? node.id,
        kind,
        runtime: node.script?.runtime,
        target: kind === 'event' ? undefined : (node.target ?? 'local'),
        state: states.get(node.id),
        problems: problems.filter((p) => p.nodeId === node.id).map((p) => p.message),
      },
    };
  });
}

export function toFlowEdges(
  document: WorkflowDocument,
  problems: readonly BuilderProblem[],
  selected: ReadonlySet<string>,
  fired: ReadonlyMap<string, boolean> = new Map(),
): ConditionFlowEdge[] {
  return document.edges.map((edge) => {
    const id = edgeId(edge);
    return {
      id,
      source: edge.from,
      target: edge.to,
      type: 'condition',
      selected: selected.has(id),
      markerEnd: { type: MarkerType.ArrowClosed },
      data: { when: edge.when, problems: problems.filter((p) => p.edgeId === id).map((p) => p.message), fired: fired.get(id) },
    };
  });
}
