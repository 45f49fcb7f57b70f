import { basename } from 'node:path';
import * as vscode from 'vscode';
import {
  ListWorkflowsRequest,
  SubscribeWorkflowsRequest,
  WorkflowHistoryRequest,
  WorkflowRunChangedNotification,
  type RunStatus,
  type WorkflowRunDto,
  type WorkflowStepDto,
} from '../../daemon/protocol/workflows';
import type { DaemonConnection } from '../daemon/daemonConnection';
import { UserError } from '../errors';
import { BUILDER_VIEW_TYPE } from './builderEditor';

const STATUS_ICONS: Record<RunStatus, [string, string]> = {
  running: ['sync~spin', 'charts.blue'],
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  partial: ['warning', 'list.warningForeground'],
  cancelled: ['circle-slash', 'disabledForeground'],
};
/** Run changes come in bursts (every step of a run): the view asks the daemon again once they rest. */
const RELOAD_AFTER_MS = 300;

const PATTERN = '**/*.cronium.json';
const EXCLUDE = '**/node_modules/**';

/** A workflow file of the workspace. */
export class WorkflowItem extends vscode.TreeItem {
  constructor(
    readonly uri: vscode.Uri,
    lastRun?: { status: RunStatus; at: string },
  ) {
    super(basename(uri.fsPath, '.cronium.json'), vscode.TreeItemCollapsibleState.None);
    this.resourceUri = uri;
    const where = vscode.workspace.asRelativePath(uri, false);
    this.description = lastRun === undefined ? where : `last run ${lastRun.status} · ${where}`;
    this.tooltip = lastRun === undefined ? `${where}: not run yet` : `${where}: last run ${lastRun.status} at ${new Date(lastRun.at).toLocaleString()}`;
    const [icon, colour] = lastRun === undefined ? ['type-hierarchy-sub', undefined] : STATUS_ICONS[lastRun.status];
    this.iconPath = new vscode.ThemeIcon(icon, colour === undefined ? undefined : new vscode.ThemeColor(colour));
    this.contextValue = 'workflow';
    this.command = { command: 'vscode.openWith', title: 'Open in the Builder', arguments: [uri, BUILDER_VIEW_TYPE] };
  }
}

/** The Workflows view: the workspace's `*.cronium.json` files, kept current by a file watcher. */
export class WorkflowsModel implements vscode.TreeDataProvider<WorkflowItem>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly runEmitter = new vscode.EventEmitter<{ run: Omit<WorkflowRunDto, 'steps'>; steps: WorkflowStepDto[] }>();
  /**
   * `workflows/didChangeRun`, for every part of the extension that follows runs (the builders): a
   * connection has one handler per notification, so this model holds it and passes each one on.
   */
  readonly onDidChangeRun = this.runEmitter.event;
  private readonly watcher = vscode.workspace.createFileSystemWatcher(PATTERN, false, true, false);
  private files: vscode.Uri[] | undefined;
  /** The last run of each workflow file (by path), from the daemon. */
  private lastRuns = new Map<string, { status: RunStatus; at: string }>();
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly daemon: DaemonConnection) {
    this.watcher.onDidCreate(() => this.refresh());
    this.watcher.onDidDelete(() => this.refresh());
    daemon.onSession(async (client, session) => {
      session.push(
        client.connection.onNotification(WorkflowRunChangedNotification, (change) => {
          this.runEmitter.fire(change);
          this.reloadSoon();
        }),
      );
      await client.request(SubscribeWorkflowsRequest, {});
      await this.reloadRuns();
    });
  }

  refresh(): void {
    this.files = undefined;
    this.changeEmitter.fire();
    this.reloadSoon();
  }

  private reloadSoon(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.reloadRuns(), RELOAD_AFTER_MS);
  }

  /** Each registered workflow file's last run (the view works without a daemon, just without them). */
  private async reloadRuns(): Promise<void> {
    const client = this.daemon.current;
    if (client === undefined) return;
    try {
      const { workflows } = await client.request(ListWorkflowsRequest, {});
      const entries = await Promise.all(
        workflows
          .filter((w) => w.file !== null)
          .map(async (w) => {
            const { runs } = await client.request(WorkflowHistoryRequest, { workflow: w.id, limit: 1 });
            return [w.file as string, runs[0] === undefined ? undefined : { status: runs[0].status, at: runs[0].createdAt }] as const;
          }),
      );
      this.lastRuns = new Map(entries.filter((e): e is readonly [string, { status: RunStatus; at: string }] => e[1] !== undefined));
      this.changeEmitter.fire();
    } catch {
      // A daemon going away meanwhile: the next session reloads.
    }
  }

  getTreeItem(item: WorkflowItem): WorkflowItem {
    return item;
  }

  async getChildren(): Promise<WorkflowItem[]> {
    this.files ??= await vscode.workspace.findFiles(PATTERN, EXCLUDE);
    return [...this.files].sort((a, b) => a.fsPath.localeCompare(b.fsPath)).map((uri) => new WorkflowItem(uri, this.lastRuns.get(uri.fsPath)));
  }

  dispose(): void {
    clearTimeout(this.reloadTimer);
    this.watcher.dispose();
    this.changeEmitter.dispose();
    this.runEmitter.dispose();
  }
}

/** The text of a new workflow: one step, ready to run. */
export function newWorkflowText(name: string): string {
  const workflow = {
    name,
    nodes: [{ id: 'hello', script: { runtime: 'bash', content: 'echo "hello from $CRONIUM_JOB_ID"\n' }, target: 'local', position: { x: 80, y: 80 } }],
    edges: [],
  };
  return `${JSON.stringify(workflow, null, 2)}\n`;
}

/** Asks for a name, writes `NAME.cronium.json` in the first workspace folder and opens it in the builder. */
export async function createWorkflow(): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder === undefined) throw new UserError('Open a folder first: a workflow is a file in the workspace.');
  const name = await vscode.window.showInputBox({
    title: 'New Workflow',
    prompt: 'The workflow’s name (its file is NAME.cronium.json)',
    validateInput: (value) => (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value) ? undefined : 'Letters, digits, dot, dash and underscore; no spaces'),
  });
  if (!name) return undefined;
  const uri = vscode.Uri.joinPath(folder.uri, `${name}.cronium.json`);
  try {
    await vscode.workspace.fs.stat(uri);
    throw new UserError(`${vscode.workspace.asRelativePath(uri)} exists already: open it from the Workflows view.`);
  } catch (e) {
    if (!(e instanceof vscode.FileSystemError)) throw e;
  }
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(newWorkflowText(name)));
  await vscode.commands.executeCommand('vscode.openWith', uri, BUILDER_VIEW_TYPE);
  return uri;
}
