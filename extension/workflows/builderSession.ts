import * as vscode from 'vscode';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import {
  CancelWorkflowRunRequest,
  DryRunWorkflowRequest,
  GetWorkflowRunRequest,
  ResumeWorkflowRunRequest,
  RunWorkflowRequest,
  ValidateWorkflowRequest,
  WorkflowHistoryRequest,
  type WorkflowRunDto,
  type WorkflowStepDto,
} from '../../daemon/protocol/workflows';
import type { HostMessage, WebviewMessage } from '../../webviews/protocol/builder';
import type { DaemonConnection } from '../daemon/daemonConnection';
import { nodeLocation, toBuilderProblems } from './workflowProblems';

/** Edits come in bursts (a drag, typing in the text editor beside): validate once they rest. */
const VALIDATE_AFTER_MS = 250;
const HISTORY_LIMIT = 50;

type Post = (message: HostMessage) => void;

/**
 * What one open builder asks of the daemon: the engine's validation of the file as it is edited (on
 * the canvas and in the Problems panel), runs started here and their steps as they change, history,
 * resume and dry run. The file stays the source of truth: a run saves it first and runs what is saved.
 */
export class BuilderSession implements vscode.Disposable {
  /** The run shown on the canvas; its steps are kept whole, as notifications carry only the changed ones. */
  private run: WorkflowRunDto | undefined;
  private validateTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(
    private readonly document: vscode.TextDocument,
    private readonly daemon: DaemonConnection,
    private readonly diagnostics: vscode.DiagnosticCollection,
    private readonly post: Post,
  ) {}

  /** The document changed (or the daemon came): validate it once the edits rest. */
  changed(): void {
    clearTimeout(this.validateTimer);
    this.validateTimer = setTimeout(() => void this.validate(), VALIDATE_AFTER_MS);
  }

  /** A daemon connection began: validate, and show the workflow's latest run. */
  async connected(client: DaemonClient): Promise<void> {
    await this.validate();
    const name = this.name();
    if (name === undefined || this.run !== undefined) return;
    const { runs } = await client.request(WorkflowHistoryRequest, { workflow: name, limit: 1 }).catch(() => ({ runs: [] as WorkflowRunDto[] }));
    if (runs[0] !== undefined && this.run === undefined) this.show(runs[0]);
  }

  /** `workflows/didChangeRun`: the steps that changed, of some run. */
  runChanged(run: Omit<WorkflowRunDto, 'steps'>, steps: WorkflowStepDto[]): void {
    if (this.run?.id !== run.id) return;
    const changed = new Map(steps.map((step) => [step.id, step]));
    const known = new Set(this.run.steps.map((step) => step.id));
    this.show({
      ...this.run,
      ...run,
      steps: [...this.run.steps.map((step) => changed.get(step.id) ?? step), ...steps.filter((step) => !known.has(step.id))],
    });
  }

  async receive(message: WebviewMessage): Promise<void> {
    try {
      await this.handle(message);
    } catch (e) {
      this.post({ type: 'failure', message: e instanceof Error ? e.message : String(e) });
    }
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'run': {
        const input = parseInput(message.input);
        if (this.document.isDirty && !(await this.document.save())) throw new Error('The workflow could not be saved, so it was not run.');
        const client = await this.daemon.require();
        const { run } = await client.request(RunWorkflowRequest, { path: this.document.uri.fsPath, ...(input === undefined ? {} : { input }) });
        this.post({ type: 'dryRun', result: null });
        this.show(run);
        return;
      }
      case 'cancel': {
        const client = await this.daemon.require();
        this.show((await client.request(CancelWorkflowRunRequest, { run: message.runId }, { timeoutMs: 'unbounded' })).run);
        return;
      }
      case 'resume': {
        const client = await this.daemon.require();
        this.show((await client.request(ResumeWorkflowRunRequest, { run: message.runId })).run);
        return;
      }
      case 'openRun': {
        const client = await this.daemon.require();
        this.post({ type: 'dryRun', result: null });
        this.show((await client.request(GetWorkflowRunRequest, { run: message.runId })).run);
        return;
      }
      case 'history': {
        const client = await this.daemon.require();
        const name = this.name();
        if (name === undefined) throw new Error('The file has no workflow name yet.');
        const since = message.sinceHours === undefined ? undefined : new Date(Date.now() - message.sinceHours * 3_600_000).toISOString();
        const { runs } = await client.request(WorkflowHistoryRequest, {
          workflow: name,
          limit: HISTORY_LIMIT,
          ...(message.status ? { status: message.status } : {}),
          ...(message.trigger ? { trigger: message.trigger } : {}),
          ...(since ? { since } : {}),
        });
        this.post({ type: 'history', runs });
        return;
      }
      case 'dryRun': {
        const client = await this.daemon.require();
        const result = await client.request(DryRunWorkflowRequest, { document: this.json(), outcomes: message.outcomes });
        this.run = undefined;
        this.post({ type: 'run', run: null });
        this.post({ type: 'dryRun', result });
        return;
      }
      case 'clearRun':
        this.run = undefined;
        this.post({ type: 'run', run: null });
        this.post({ type: 'dryRun', result: null });
        return;
      case 'openLog':
        await vscode.commands.executeCommand('cronium.jobs.showLog', message.jobId);
        return;
      default:
        return;
    }
  }

  private show(run: WorkflowRunDto): void {
    this.run = run;
    this.post({ type: 'run', run });
  }

  /** The engine's reasons for the document as it is now, on the canvas and in the Problems panel. */
  private async validate(): Promise<void> {
    const client = this.daemon.current;
    const json = this.json();
    if (client === undefined || json === undefined || this.disposed) return;
    const text = this.document.getText();
    const result = await client.request(ValidateWorkflowRequest, { document: json }).catch(() => undefined);
    // The document moved on while the daemon answered: the next validation tells.
    if (result === undefined || this.disposed || text !== this.document.getText()) return;
    const issues = [...result.errors, ...result.warnings];
    this.post({ type: 'problems', problems: toBuilderProblems(issues) });
    this.diagnostics.set(
      this.document.uri,
      issues.map((issue) => {
        const at = issue.nodes.length > 0 ? nodeLocation(text, issue.nodes[0]) : undefined;
        const range = at === undefined ? new vscode.Range(0, 0, 0, 1) : new vscode.Range(at.line, at.column, at.line, at.column + at.length);
        const diagnostic = new vscode.Diagnostic(range, issue.message, issue.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
        diagnostic.source = 'Cronium';
        diagnostic.code = issue.code;
        return diagnostic;
      }),
    );
  }

  private json(): unknown {
    try {
      return JSON.parse(this.document.getText()) as unknown;
    } catch {
      return undefined;
    }
  }

  private name(): string | undefined {
    const name = (this.json() as { name?: unknown } | undefined)?.name;
    return typeof name === 'string' ? name : undefined;
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.validateTimer);
    this.diagnostics.delete(this.document.uri);
  }
}

/** The run's input from the input box: empty for the workflow's own, else JSON. */
function parseInput(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`The input is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}
