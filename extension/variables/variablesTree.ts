import * as vscode from 'vscode';
import {
  DeleteVariableRequest,
  ListVariablesRequest,
  SetVariableRequest,
  type VariableDto,
} from '../../daemon/protocol/variables';
import type { DaemonConnection } from '../daemon/daemonConnection';
import { variableDescription } from './variableFormat';

export class VariableItem extends vscode.TreeItem {
  constructor(readonly variable: VariableDto) {
    super(variable.key, vscode.TreeItemCollapsibleState.None);
    this.id = variable.key;
    this.description = variableDescription(variable);
    this.tooltip = variable.description ?? undefined;
    this.iconPath = new vscode.ThemeIcon(variable.secret ? 'lock' : 'symbol-variable');
    this.contextValue = variable.secret ? 'variable secret' : 'variable';
  }
}

/** Variables of the daemon; secrets arrive masked from `variables/list` and stay masked here. */
export class VariablesModel implements vscode.TreeDataProvider<VariableItem>, vscode.Disposable {
  private variables: VariableDto[] = [];
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;

  constructor(private readonly daemon: DaemonConnection) {
    daemon.onSession(() => this.refresh());
  }

  async refresh(): Promise<void> {
    const client = this.daemon.current;
    this.variables = client ? (await client.request(ListVariablesRequest, {})).variables : [];
    this.changeEmitter.fire();
  }

  getTreeItem(item: VariableItem): VariableItem {
    return item;
  }

  getChildren(): VariableItem[] {
    return this.variables.map((v) => new VariableItem(v));
  }

  /** Asks for key, value and kind; a value that parses as JSON is stored as JSON, else as a string. */
  async set(existing?: VariableDto): Promise<void> {
    const key =
      existing?.key ??
      (await vscode.window.showInputBox({
        title: 'Set Variable',
        prompt: 'Key',
        validateInput: (v) => (/^[A-Za-z_][\w.-]*$/.test(v) ? undefined : 'Letters, digits, _ . - ; not starting with a digit'),
      }));
    if (!key) return;
    const secret = existing
      ? existing.secret
      : (await vscode.window.showQuickPick(['Plain', 'Secret (encrypted, masked in logs)'], { title: `Kind of ${key}` }))?.startsWith('Secret');
    if (secret === undefined) return;
    const raw = await vscode.window.showInputBox({ title: `Value of ${key}`, password: secret, prompt: 'JSON or text' });
    if (raw === undefined) return;
    const client = await this.daemon.require();
    await client.request(SetVariableRequest, { key, value: parseValue(raw), secret });
    await this.refresh();
  }

  async delete(variable: VariableDto): Promise<void> {
    const pick = await vscode.window.showWarningMessage(`Delete variable ${variable.key}?`, { modal: true }, 'Delete');
    if (pick !== 'Delete') return;
    const client = await this.daemon.require();
    await client.request(DeleteVariableRequest, { key: variable.key });
    await this.refresh();
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}
