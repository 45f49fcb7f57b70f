import * as vscode from 'vscode';
import type { DaemonConnection } from './daemon/daemonConnection';
import { statusBarText } from './jobs/jobFormat';
import type { JobsModel } from './jobs/jobsTree';
import { clock } from './events/eventFormat';
import type { EventsModel } from './events/eventsTree';

/** The single status bar item: daemon state, running jobs and the next due event; a click focuses the Jobs view. */
export function createStatusBar(daemon: DaemonConnection, model: JobsModel, events: EventsModel): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('cronium.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Cronium';
  item.command = 'cronium.jobs.focus';
  const update = (): void => {
    const next = daemon.current ? events.nextDue() : undefined;
    item.text = statusBarText(daemon.state, daemon.current ? model.runningCount() : 0) + (next ? ` · next ${clock(next.at)}` : '');
    item.tooltip = daemon.current
      ? `Cronium daemon pid ${daemon.current.info.pid} (${daemon.home})${next ? `; next run: ${next.event.name} at ${next.at}` : ''} — click for Jobs`
      : `Cronium daemon is not running (${daemon.home}) — run "Cronium: Start Daemon"`;
  };
  update();
  item.show();
  return vscode.Disposable.from(item, daemon.onDidChangeState(update), model.onDidChangeTreeData(update), events.onDidChangeTreeData(update));
}
