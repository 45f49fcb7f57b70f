import { memo, useState } from 'react';
import type { RunStatus, RunTrigger, WorkflowRunDto } from '../../daemon/protocol/workflows';
import { runSummary } from './runView';

export interface HistoryFilter {
  status?: RunStatus;
  trigger?: RunTrigger;
  sinceHours?: number;
}

const STATUSES: RunStatus[] = ['running', 'succeeded', 'failed', 'partial', 'cancelled'];
const TRIGGERS: RunTrigger[] = ['manual', 'schedule', 'webhook'];
const SINCE: [string, number | undefined][] = [['any time', undefined], ['last hour', 1], ['last day', 24], ['last week', 168]];

/** The workflow's runs, newest first, filtered by status, trigger and time; a click shows one on the canvas. */
export const HistoryPanel = memo(function HistoryPanel(props: {
  runs: WorkflowRunDto[] | undefined;
  shown: string | undefined;
  onFilter: (filter: HistoryFilter) => void;
  onOpen: (runId: string) => void;
}) {
  const [filter, setFilter] = useState<HistoryFilter>({});
  const change = (next: HistoryFilter) => {
    setFilter(next);
    props.onFilter(next);
  };
  return (
    <section className="history" aria-label="Runs of this workflow">
      <h2>History</h2>
      <div className="history-filters">
        <select aria-label="Status" value={filter.status ?? ''} onChange={(e) => change({ ...filter, status: (e.target.value || undefined) as RunStatus | undefined })}>
          <option value="">any status</option>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <select aria-label="Trigger" value={filter.trigger ?? ''} onChange={(e) => change({ ...filter, trigger: (e.target.value || undefined) as RunTrigger | undefined })}>
          <option value="">any trigger</option>
          {TRIGGERS.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <select
          aria-label="Since"
          value={String(filter.sinceHours ?? '')}
          onChange={(e) => change({ ...filter, sinceHours: e.target.value === '' ? undefined : Number(e.target.value) })}
        >
          {SINCE.map(([label, hours]) => (
            <option key={label} value={hours ?? ''}>
              {label}
            </option>
          ))}
        </select>
      </div>
      {props.runs === undefined ? <p>Loading…</p> : null}
      {props.runs?.length === 0 ? <p>No runs match.</p> : null}
      <ul>
        {props.runs?.map((run) => (
          <li key={run.id}>
            <button type="button" className={`history-run status-${run.status}${run.id === props.shown ? ' shown' : ''}`} onClick={() => props.onOpen(run.id)}>
              {runSummary(run)}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
});
