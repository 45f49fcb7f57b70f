import * as vscode from 'vscode';
import type { DaemonConnection } from './daemon/daemonConnection';
import { statusBarText } from './jobs/jobFormat';
import type { JobsModel } from './jobs/jobsTree';

/** The single status bar item: daemon state plus running jobs; a click focuses the Jobs view. */
export function createStatusBar(daemon: DaemonConnection, model: JobsModel): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('cronium.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Cronium';
  item.command = 'cronium.jobs.focus';
  const update = (): void => {
    item.text = statusBarText(daemon.state, daemon.current ? model.runningCount() : 0);
    item.tooltip = daemon.current
      ? `Cronium daemon pid ${daemon.current.info.pid} (${daemon.home}) — click for Jobs`
      : `Cronium daemon is not running (${daemon.home}) — run "Cronium: Start Daemon"`;
  };
  update();
  item.show();
  return vscode.Disposable.from(item, daemon.onDidChangeState(update), model.onDidChangeTreeData(update));
}
