import VscodeButton from '@vscode-elements/react-elements/dist/components/VscodeButton.js';
import VscodeTextfield from '@vscode-elements/react-elements/dist/components/VscodeTextfield.js';
import { memo } from 'react';
import type { WorkflowStepDto } from '../../daemon/protocol/workflows';
import type { DryRunChoice, PaletteEvent } from '../protocol/builder';
import { CHOICES, choiceLabel } from './runView';
import { kindOf, type WorkflowNode } from './workflowDocument';

interface Props {
  node: WorkflowNode;
  /** The daemon's event an event step runs, when the daemon knows it. */
  event?: PaletteEvent;
  problems: string[];
  /** The step in the run shown on the canvas. */
  step?: WorkflowStepDto;
  /** The outcome a dry run assumes for it. */
  choice?: DryRunChoice;
  onChoice: (choice: DryRunChoice) => void;
  onOpenLog: (jobId: string) => void;
  onRename: (name: string) => void;
  onTarget: (target: string) => void;
  onOpenScript: () => void;
}

const valueOf = (e: Event) => (e.target as HTMLInputElement).value;

/** The selected step: what it runs and where, with its script one click away in a real editor tab. */
const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });

const json = (value: unknown) => (value === undefined || value === null ? '—' : JSON.stringify(value, null, 2));

export const DetailsPanel = memo(function DetailsPanel({ node, event, problems, step, choice, onChoice, onOpenLog, onRename, onTarget, onOpenScript }: Props) {
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
        <>
          <p>
            Runs the event <strong>{node.event}</strong> (its own script, target and settings).
          </p>
          {event === undefined ? (
            <p className="details-warning">The daemon has no event named {node.event}.</p>
          ) : (
            <dl className="details-event">
              <dt>Schedule</dt>
              <dd>
                {event.schedule} ({event.status})
              </dd>
              <dt>Next run</dt>
              <dd>{event.nextRun ? when(event.nextRun) : 'none'}</dd>
              <dt>Recent runs</dt>
              <dd>
                {event.recent.length === 0 ? (
                  'none yet'
                ) : (
                  <ul>
                    {event.recent.map((run) => (
                      <li key={run.at}>
                        {when(run.at)} · {run.outcome}
                      </li>
                    ))}
                  </ul>
                )}
              </dd>
            </dl>
          )}
        </>
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
      {step !== undefined ? (
        <section className="details-step" aria-label="This step in the run shown">
          <h3>In the run shown</h3>
          <p>
            <span className={`step-state state-${step.status}`}>{step.status}</span>
            {step.attempt > 1 ? ` · attempt ${step.attempt}` : ''}
            {step.durationMs !== null ? ` · ${(step.durationMs / 1000).toFixed(2)} s` : ''}
          </p>
          {step.reason ? <p>{step.reason}</p> : null}
          <h4>Input</h4>
          <pre>{json(step.input)}</pre>
          <h4>Output</h4>
          <pre>{json(step.output)}</pre>
          {step.condition !== null ? <p>Condition: {String(step.condition)}</p> : null}
          {step.jobId !== null ? <VscodeButton onClick={() => onOpenLog(step.jobId as string)}>Open Log</VscodeButton> : null}
        </section>
      ) : null}
      <label>
        In a dry run
        <select aria-label={`Dry-run outcome of ${node.id}`} value={choiceLabel(choice)} onChange={(e) => onChoice((CHOICES.find((c) => c.label === e.target.value) ?? CHOICES[0]).choice)}>
          {CHOICES.map((c) => (
            <option key={c.label}>{c.label}</option>
          ))}
        </select>
      </label>
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
