import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { EventDto } from '../../daemon/protocol/events';
import { isWebviewMessage, type HostMessage, type PaletteEvent, type WebviewMessage } from '../../webviews/protocol/builder';
import type { DaemonConnection } from '../daemon/daemonConnection';
import type { EventsModel } from '../events/eventsTree';
import { BuilderSession } from './builderSession';
import type { WorkflowsModel } from './workflowsTree';

export const BUILDER_VIEW_TYPE = 'cronium.workflowBuilder';
/** Where an inline step's script opens: `cronium-step:/<file path>/<node id>.<ext>?<file uri>`. */
const STEP_SCHEME = 'cronium-step';
const EXTENSIONS: Record<string, string> = { bash: 'sh', python: 'py', node: 'js' };

const RECENT_RUNS = 5;

const toPalette = (event: EventDto): PaletteEvent => ({
  name: event.name,
  type: event.type,
  schedule: event.scheduleText,
  status: event.status,
  nextRun: event.nextRuns[0],
  recent: event.slots.slice(0, RECENT_RUNS).map((slot) => ({ at: slot.firedAt ?? slot.scheduledFor, outcome: slot.outcome })),
});

/**
 * The workflow builder: a custom *text* editor for `*.cronium.json`, so the file stays the source of
 * truth and VS Code's dirty dot, Save, Revert, undo and redo, hot exit and `git diff` all work. The
 * webview (webviews/builder/) draws the text it is sent and answers an edit with the whole new text,
 * which is applied here as one edit of the document.
 */
export class WorkflowBuilderProvider implements vscode.CustomTextEditorProvider {
  /** The builder's bundle is loaded by the webview, from here, only when a builder opens. */
  private readonly bundleRoot: vscode.Uri;
  private readonly sessions = new Set<BuilderSession>();
  /** The engine's problems of open workflow files, in the Problems panel. */
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('cronium-workflows');

  constructor(
    extensionUri: vscode.Uri,
    private readonly events: EventsModel,
    private readonly daemon: DaemonConnection,
    workflows: WorkflowsModel,
  ) {
    this.bundleRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webviews');
    this.runChanges = workflows.onDidChangeRun(({ run, steps }) => this.sessions.forEach((s) => s.runChanged(run, steps)));
    // Each daemon connection: let every open builder validate again and show its latest run.
    daemon.onSession(async (client) => {
      await Promise.all([...this.sessions].map((s) => s.connected(client)));
    });
  }

  private readonly runChanges: vscode.Disposable;

  static register(context: vscode.ExtensionContext, events: EventsModel, daemon: DaemonConnection, workflows: WorkflowsModel): vscode.Disposable {
    const provider = new WorkflowBuilderProvider(context.extensionUri, events, daemon, workflows);
    return vscode.Disposable.from(
      provider.diagnostics,
      provider.runChanges,
      vscode.window.registerCustomEditorProvider(BUILDER_VIEW_TYPE, provider, { supportsMultipleEditorsPerDocument: true }),
      vscode.workspace.registerTextDocumentContentProvider(STEP_SCHEME, new StepScripts()),
    );
  }

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [this.bundleRoot] };
    webview.html = this.html(webview, document.getText());
    const post = (message: HostMessage) => void webview.postMessage(message);
    const sendEvents = () => post({ type: 'events', events: this.events.all().map(toPalette) });
    const session = new BuilderSession(document, this.daemon, this.diagnostics, post);
    this.sessions.add(session);

    const subscriptions = [
      session,
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() !== document.uri.toString() || e.contentChanges.length === 0) return;
        post({ type: 'document', text: document.getText() });
        session.changed();
      }),
      this.events.onDidChangeTreeData(() => sendEvents()),
      webview.onDidReceiveMessage((message: unknown) => {
        // Anything else a webview may post is not ours to act on.
        if (isWebviewMessage(message)) void this.receive(document, message, post, sendEvents, session);
      }),
    ];
    panel.onDidDispose(() => {
      this.sessions.delete(session);
      subscriptions.forEach((s) => s.dispose());
    });
  }

  private async receive(document: vscode.TextDocument, message: WebviewMessage, post: (m: HostMessage) => void, sendEvents: () => void, session: BuilderSession): Promise<void> {
    switch (message.type) {
      case 'ready': {
        post({ type: 'document', text: document.getText() });
        sendEvents();
        const client = this.daemon.current;
        if (client !== undefined) await session.connected(client);
        return;
      }
      case 'edit': {
        if (message.text === document.getText()) return;
        const edit = new vscode.WorkspaceEdit();
        edit.replace(document.uri, new vscode.Range(0, 0, document.lineCount, 0), message.text, { needsConfirmation: false, label: message.label });
        if (!(await vscode.workspace.applyEdit(edit))) {
          // The document moved on meanwhile: the webview redraws what the file says.
          post({ type: 'document', text: document.getText() });
        }
        return;
      }
      case 'openScript':
        await openStepScript(document, message.nodeId);
        return;
      case 'openAsText':
        await vscode.commands.executeCommand('vscode.openWith', document.uri, 'default');
        return;
      case 'openTextBeside':
        await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: false });
        return;
      default:
        await session.receive(message);
    }
  }

  /** The page, with the file's text in it: the canvas draws without waiting for a message round trip. */
  private html(webview: vscode.Webview, text: string): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.bundleRoot, 'builder.js'));
    const styles = webview.asWebviewUri(vscode.Uri.joinPath(this.bundleRoot, 'builder.css'));
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styles}">
<title>Workflow Builder</title>
</head>
<body>
<div id="root"></div>
<script id="initial-document" type="application/json">${JSON.stringify(text).replace(/</g, '\\u003c')}</script>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }
}

/** Opens an inline step's script in an editor tab, with its runtime's language (read-only: the file holds it). */
async function openStepScript(document: vscode.TextDocument, nodeId: string): Promise<void> {
  const runtime = stepOf(document.getText(), nodeId)?.runtime ?? 'bash';
  const uri = vscode.Uri.from({
    scheme: STEP_SCHEME,
    path: `${document.uri.path}/${nodeId}.${EXTENSIONS[runtime] ?? 'txt'}`,
    query: document.uri.toString(),
  });
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true, viewColumn: vscode.ViewColumn.Beside });
}

function stepOf(text: string, nodeId: string): { runtime: string; content: string } | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    const nodes = (parsed as { nodes?: unknown }).nodes;
    if (!Array.isArray(nodes)) return undefined;
    const node: unknown = nodes.find((n: unknown) => (n as { id?: unknown })?.id === nodeId);
    const script = (node as { script?: { runtime?: unknown; content?: unknown } } | undefined)?.script;
    return typeof script?.content === 'string' ? { runtime: String(script.runtime), content: script.content } : undefined;
  } catch {
    return undefined;
  }
}

/** The text of `cronium-step:` tabs: the step's script as the workflow file holds it now. */
class StepScripts implements vscode.TextDocumentContentProvider {
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const file = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri.query));
    const nodeId = uri.path.slice(uri.path.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '');
    return stepOf(file.getText(), nodeId)?.content ?? `# The workflow has no inline script step '${nodeId}' any more.\n`;
  }
}
