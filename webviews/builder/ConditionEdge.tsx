import { BaseEdge, EdgeLabelRenderer, getBezierPath, useStore, type Edge, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { CONDITION_LABELS, type Condition } from './workflowDocument';

export interface ConditionEdgeData extends Record<string, unknown> {
  when: Condition;
  problems: string[];
  fired?: boolean;
}

export type ConditionFlowEdge = Edge<ConditionEdgeData, 'condition'>;

/**
 * Below this zoom a label's words are too small to read: the edge keeps its colour and dash pattern, and
 * the labels come back as you zoom in (a large workflow draws hundreds fewer elements when it opens).
 */
const LABELS_FROM_ZOOM = 0.45;
const labelsReadable = (s: { transform: [number, number, number] }) => s.transform[2] >= LABELS_FROM_ZOOM;

/** An edge coloured and labelled by its condition; the label is a button that opens the condition popover. */
export const ConditionEdge = memo(function ConditionEdge(props: EdgeProps<ConditionFlowEdge>) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, markerEnd } = props;
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const when = data?.when ?? 'always';
  const problem = (data?.problems.length ?? 0) > 0;
  const readable = useStore(labelsReadable);
  const fired = data?.fired === undefined ? '' : data.fired ? ' fired' : ' not-fired';
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} className={`condition-edge when-${when}${selected ? ' selected' : ''}${problem ? ' has-problem' : ''}${fired}`} />
      {readable || selected || problem ? (
        <EdgeLabelRenderer>
          <button
            type="button"
            className={`edge-label when-${when}${problem ? ' has-problem' : ''} nodrag nopan`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            data-edge={id}
            title={problem ? data?.problems.join('\n') : `Change the condition of ${id.replace('->', ' → ')}`}
          >
            {CONDITION_LABELS[when]}
          </button>
        </EdgeLabelRenderer>
      ) : null}
    </>
  );
});
