import * as vscode from 'vscode';
import { ResponseError } from 'vscode-jsonrpc';
import { DaemonNotRunningError, DaemonUnresponsiveError } from './daemon/daemonClient';
import { NodeNotFoundError } from './daemon/daemonLauncher';
import { UserError } from './errors';

/** Handlers get the command's arguments; what they return goes back to `executeCommand` callers (tests). */
export type CommandHandler = (...args: unknown[]) => unknown;

/**
 * Registers every command at activation behind one wrapper, so a missing daemon or Node.js becomes a
 * message with the action that fixes it instead of a "command failed" toast.
 */
export function registerCommands(handlers: Record<string, CommandHandler>): vscode.Disposable {
  return vscode.Disposable.from(
    ...Object.entries(handlers).map(([id, handler]) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (e) {
          void reportError(e, () => vscode.commands.executeCommand(id, ...args));
          return undefined;
        }
      }),
    ),
  );
}

async function reportError(e: unknown, retry: () => Thenable<unknown>): Promise<void> {
  if (DaemonNotRunningError.is(e)) {
    const pick = await vscode.window.showWarningMessage('Cronium daemon is not running', 'Start');
    if (pick === 'Start') {
      await vscode.commands.executeCommand('cronium.daemon.start');
      await retry();
    }
    return;
  }
  if (NodeNotFoundError.is(e)) {
    const pick = await vscode.window.showErrorMessage(e.message, 'Set Node path');
    if (pick === 'Set Node path') await vscode.commands.executeCommand('workbench.action.openSettings', 'cronium.daemon.nodePath');
    return;
  }
  if (DaemonUnresponsiveError.is(e)) {
    const pick = await vscode.window.showErrorMessage(e.message, 'Show Daemon Log');
    if (pick) await vscode.commands.executeCommand('cronium.daemon.showLog');
    return;
  }
  if (UserError.is(e)) {
    void vscode.window.showWarningMessage(e.message);
    return;
  }
  if (e instanceof ResponseError) {
    void vscode.window.showErrorMessage(`Cronium: ${e.message}`);
    return;
  }
  void vscode.window.showErrorMessage(`Cronium: ${e instanceof Error ? e.message : String(e)}`);
}
