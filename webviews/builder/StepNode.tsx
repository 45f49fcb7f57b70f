import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { StepState } from './runView';
import type { NodeKind } from './workflowDocument';


export interface StepNodeData extends Record<string, unknown> {
  title: string;
  kind: NodeKind;
  runtime?: string;
  target?: string;
  state?: StepState;
  problems: string[];
}

export type StepFlowNode = Node<StepNodeData, 'step'>;

const ICONS: Record<string, string> = {
  bash: 'terminal-bash',
  python: 'symbol-namespace',
  node: 'symbol-event',
  http: 'globe',
  event: 'calendar',
};

const STATE_WORDS: Record<StepState, string> = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
};

/** A step: icon, name, what it runs and where, and its state in words (never colour alone). */
export const StepNode = memo(function StepNode({ data, selected }: NodeProps<StepFlowNode>) {
  const icon = ICONS[data.kind === 'script' ? (data.runtime ?? 'bash') : data.kind];
  const what = data.kind === 'event' ? 'event' : data.kind === 'http' ? 'HTTP request' : (data.runtime ?? 'script');
  const classes = ['step', `step-${data.kind}`, data.state ? `state-${data.state}` : '', data.problems.length > 0 ? 'has-problem' : '', selected ? 'selected' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div className={classes} title={data.problems.join('\n') || undefined} aria-label={`${data.title}, ${what}${data.state ? `, ${STATE_WORDS[data.state]}` : ''}`}>
      <Handle type="target" position={Position.Left} />
      <span className={`codicon codicon-${icon} step-icon`} aria-hidden="true" />
      <div className="step-text">
        <div className="step-title">{data.title}</div>
        <div className="step-sub">
          {what}
          {data.target ? ` · ${data.target}` : ''}
        </div>
      </div>
      {data.state ? <span className={`step-state state-${data.state}`}>{STATE_WORDS[data.state]}</span> : null}
      {data.problems.length > 0 ? <span className="codicon codicon-error step-problem" aria-label={data.problems.join('; ')} /> : null}
      <Handle type="source" position={Position.Right} />
    </div>
  );
});
