import VscodeButton from '@vscode-elements/react-elements/dist/components/VscodeButton.js';
import VscodeTextfield from '@vscode-elements/react-elements/dist/components/VscodeTextfield.js';
import { memo } from 'react';
import { kindOf, type WorkflowNode } from './workflowDocument';

interface Props {
  node: WorkflowNode;
  problems: string[];
  onRename: (name: string) => void;
  onTarget: (target: string) => void;
  onOpenScript: () => void;
}

const valueOf = (e: Event) => (e.target as HTMLInputElement).value;

/** The selected step: what it runs and where, with its script one click away in a real editor tab. */
export const DetailsPanel = memo(function DetailsPanel({ node, problems, onRename, onTarget, onOpenScript }: Props) {
  const kind = kindOf(node);
  return (
    <aside className="details" aria-label={`Details of ${node.id}`}>
      <h2>
        <span className="codicon codicon-symbol-method" aria-hidden="true" /> {node.id}
      </h2>
      <label>
        Name
        <VscodeTextfield value={node.name ?? ''} placeholder={node.id} onChange={(e) => onRename(valueOf(e as unknown as Event))} />
      </label>
      {kind === 'event' ? (
        <p>
          Runs the event <strong>{node.event}</strong> (its own script, target and settings).
        </p>
      ) : null}
      {kind === 'script' ? (
        <>
          <p>
            Inline <strong>{node.script?.runtime}</strong> script, {node.script?.content.split('\n').length ?? 0} line(s).
          </p>
          <VscodeButton onClick={onOpenScript}>Open Script</VscodeButton>
        </>
      ) : null}
      {kind === 'http' ? (
        <p>
          {node.http?.method ?? 'GET'} {node.http?.url}
        </p>
      ) : null}
      {kind !== 'event' ? (
        <label>
          Target
          <VscodeTextfield value={node.target ?? 'local'} onChange={(e) => onTarget(valueOf(e as unknown as Event))} />
        </label>
      ) : null}
      {problems.length > 0 ? (
        <ul className="details-problems">
          {problems.map((p) => (
            <li key={p}>
              <span className="codicon codicon-error" aria-hidden="true" /> {p}
            </li>
          ))}
        </ul>
      ) : null}
    </aside>
  );
});
