import * as vscode from 'vscode';
import { shownError } from './errorAdvice';

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

/** Shows an error in the extension's words (errorAdvice.ts), with its buttons. */
export async function reportError(e: unknown, retry?: () => Thenable<unknown>): Promise<void> {
  const shown = shownError(e);
  const titles = shown.actions.map((a) => a.title);
  const pick =
    shown.severity === 'warning'
      ? await vscode.window.showWarningMessage(shown.message, ...titles)
      : await vscode.window.showErrorMessage(shown.message, ...titles);
  const action = shown.actions.find((a) => a.title === pick);
  if (action === undefined) return;
  await vscode.commands.executeCommand(action.command, ...(action.args ?? []));
  if (action.retry && retry !== undefined) await retry();
}
