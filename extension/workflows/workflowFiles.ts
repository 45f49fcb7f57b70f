import * as vscode from 'vscode';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { RegisterWorkflowRequest } from '../../daemon/protocol/workflows';
import type { DaemonConnection } from '../daemon/daemonConnection';

/** Workflow files of the workspace. */
const PATTERN = '**/*.cronium.json';
const EXCLUDE = '**/node_modules/**';

/**
 * Tells the daemon about the workspace's workflow files: every `*.cronium.json` on each new connection,
 * and each one created later. The daemon validates and watches them itself (an invalid file is
 * reported by the daemon and taken once it is fixed), so a refusal here is expected and not shown;
 * VS Code shows the file's problems through the JSON Schema.
 */
export function registerWorkflowFiles(daemon: DaemonConnection): vscode.Disposable {
  const register = (client: DaemonClient, uri: vscode.Uri): Promise<void> =>
    client.request(RegisterWorkflowRequest, { path: uri.fsPath }).then(
      () => undefined,
      () => undefined,
    );
  daemon.onSession(async (client) => {
    const files = await vscode.workspace.findFiles(PATTERN, EXCLUDE);
    await Promise.all(files.filter((uri) => uri.scheme === 'file').map((uri) => register(client, uri)));
  });
  const watcher = vscode.workspace.createFileSystemWatcher(PATTERN, false, true, true);
  watcher.onDidCreate((uri) => {
    const client = daemon.current;
    if (client !== undefined && uri.scheme === 'file') void register(client, uri);
  });
  return watcher;
}
