import { basename } from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../errors';
import { BUILDER_VIEW_TYPE } from './builderEditor';

const PATTERN = '**/*.cronium.json';
const EXCLUDE = '**/node_modules/**';

/** A workflow file of the workspace. */
export class WorkflowItem extends vscode.TreeItem {
  constructor(readonly uri: vscode.Uri) {
    super(basename(uri.fsPath, '.cronium.json'), vscode.TreeItemCollapsibleState.None);
    this.resourceUri = uri;
    this.description = vscode.workspace.asRelativePath(uri, false);
    this.iconPath = new vscode.ThemeIcon('type-hierarchy-sub');
    this.contextValue = 'workflow';
    this.command = { command: 'vscode.openWith', title: 'Open in the Builder', arguments: [uri, BUILDER_VIEW_TYPE] };
  }
}

/** The Workflows view: the workspace's `*.cronium.json` files, kept current by a file watcher. */
export class WorkflowsModel implements vscode.TreeDataProvider<WorkflowItem>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly watcher = vscode.workspace.createFileSystemWatcher(PATTERN, false, true, false);
  private files: vscode.Uri[] | undefined;

  constructor() {
    this.watcher.onDidCreate(() => this.refresh());
    this.watcher.onDidDelete(() => this.refresh());
  }

  refresh(): void {
    this.files = undefined;
    this.changeEmitter.fire();
  }

  getTreeItem(item: WorkflowItem): WorkflowItem {
    return item;
  }

  async getChildren(): Promise<WorkflowItem[]> {
    this.files ??= await vscode.workspace.findFiles(PATTERN, EXCLUDE);
    return [...this.files].sort((a, b) => a.fsPath.localeCompare(b.fsPath)).map((uri) => new WorkflowItem(uri));
  }

  dispose(): void {
    this.watcher.dispose();
    this.changeEmitter.dispose();
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
