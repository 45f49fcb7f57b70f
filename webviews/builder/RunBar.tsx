import { memo, useState } from 'react';
import type { WorkflowRunDto } from '../../daemon/protocol/workflows';
import { runSummary } from './runView';

interface Props {
  run: WorkflowRunDto | null;
  dryRunShown: boolean;
  historyOpen: boolean;
  onRun: (input: string) => void;
  onCancel: (runId: string) => void;
  onResume: (runId: string) => void;
  onDryRun: () => void;
  onClear: () => void;
  onToggleHistory: () => void;
}

/** Run with an input, and the run on the canvas: its status, Cancel, Resume from failed, Clear; Dry Run; History. */
export const RunBar = memo(function RunBar(props: Props) {
  const { run } = props;
  const [input, setInput] = useState('');
  return (
    <div className="run-bar" role="toolbar" aria-label="Run the workflow">
      <input
        className="run-input"
        value={input}
        placeholder='Input (JSON), e.g. {"env": "staging"}'
        aria-label="The run's input, as JSON"
        onChange={(e) => setInput(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') props.onRun(input);
        }}
      />
      <button type="button" className="run-button" onClick={() => props.onRun(input)} title="Save the file and run the workflow">
        <span className="codicon codicon-play" aria-hidden="true" /> Run
      </button>
      <button type="button" onClick={props.onDryRun} title="Which steps would run, with the outcomes chosen in each step's details">
        <span className="codicon codicon-debug-alt-small" aria-hidden="true" /> Dry Run
      </button>
      <button type="button" aria-pressed={props.historyOpen} onClick={props.onToggleHistory}>
        <span className="codicon codicon-history" aria-hidden="true" /> History
      </button>
      {run !== null ? (
        <span className={`run-status status-${run.status}`} role="status">
          Run {runSummary(run)}
          {run.status === 'running' ? (
            <button type="button" onClick={() => props.onCancel(run.id)}>
              <span className="codicon codicon-debug-stop" aria-hidden="true" /> Cancel
            </button>
          ) : null}
          {run.status === 'failed' || run.status === 'partial' || run.status === 'cancelled' ? (
            <button type="button" onClick={() => props.onResume(run.id)} title="Run the failed steps again with their recorded inputs">
              <span className="codicon codicon-debug-restart" aria-hidden="true" /> Resume from Failed
            </button>
          ) : null}
        </span>
      ) : null}
      {props.dryRunShown ? <span className="run-status">Dry run: nothing ran</span> : null}
      {run !== null || props.dryRunShown ? (
        <button type="button" onClick={props.onClear} title="Show the workflow without a run">
          <span className="codicon codicon-clear-all" aria-hidden="true" /> Clear
        </button>
      ) : null}
    </div>
  );
});
