import * as vscode from 'vscode';
import { codeLensTitle } from './eventFormat';
import type { EventsModel } from './eventsTree';

/** Above a script file that is an event: `▷ Run NAME now · next 14:05 Europe/Berlin · last ✓ 2m ago · 1 late`. */
export class EventCodeLens implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly events: EventsModel) {
    this.onDidChangeCodeLenses = events.onDidChangeTreeData;
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (document.uri.scheme !== 'file') return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const now = Date.now();
    return this.events.forFile(document.uri.fsPath).map(
      (event) => new vscode.CodeLens(top, { title: codeLensTitle(event, now), command: 'cronium.events.run', arguments: [event.id] }),
    );
  }
}
