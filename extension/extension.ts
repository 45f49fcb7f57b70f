import type * as vscode from 'vscode';

/** Placeholder until the extension issue: proves the bundle builds and activates. */
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push({ dispose: () => undefined });
}

export function deactivate(): void {
  // nothing to release yet
}
