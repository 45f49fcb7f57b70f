import { join } from 'node:path';
import * as vscode from 'vscode';
import type { JobDto, JobStatus, Target } from '../daemon/protocol/dto';
import { JOB_STATUSES, TARGETS } from '../daemon/protocol/dto';
import { CancelJobRequest } from '../daemon/protocol/jobs';
import { UpdateSettingsRequest } from '../daemon/protocol/settings';
import { registerCommands } from './commands';
import { configuredHome, configuredNodePath, configuredTarget, daemonSettingsOverrides } from './config';
import { homeFiles } from '../daemon/client/homeLayout';
import { DaemonConnection } from './daemon/daemonConnection';
import { UserError } from './errors';
import { JobLogs } from './jobs/jobLogs';
import { JobItem, JobsModel } from './jobs/jobsTree';
import { JobTerminals } from './jobs/jobTerminal';
import { ScriptRunner } from './jobs/runScript';
import { createStatusBar } from './statusBar';
import { VariableItem, VariablesModel } from './variables/variablesTree';

/** What `activate` returns: used by the integration tests inside the extension host. */
export interface CroniumApi {
  /** Milliseconds `activate` took, measured by the extension itself. */
  activationMs: number;
  daemon: DaemonConnection;
  jobs: JobsModel;
}

/** Placeholder views the next issues fill; the welcome text (package.json viewsWelcome) says what they will hold. */
const PLACEHOLDER_VIEWS = ['cronium.events', 'cronium.workflows', 'cronium.servers'];

export function activate(context: vscode.ExtensionContext): CroniumApi {
  const started = performance.now();
  // dist/extension.js and dist/daemon.js are bundled side by side; the daemon runs on a real Node, never here.
  const daemon = new DaemonConnection({
    home: configuredHome,
    nodePath: configuredNodePath,
    daemonScript: join(context.extensionPath, 'dist', 'daemon.js'),
  });
  // The tree asks the runner only when it renders, after `run` exists.
  const jobs: JobsModel = new JobsModel(daemon, (): boolean => run.canRerun());
  const logs = new JobLogs(daemon);
  const run: ScriptRunner = new ScriptRunner(daemon, jobs, logs, configuredTarget);
  const terminals = new JobTerminals(daemon, jobs, logs, configuredTarget);
  const variables = new VariablesModel(daemon);

  daemon.onSession(async (client) => {
    const overrides = daemonSettingsOverrides();
    if (Object.keys(overrides).length > 0) await client.request(UpdateSettingsRequest, overrides);
  });

  const jobsView = vscode.window.createTreeView('cronium.jobs', { treeDataProvider: jobs });
  const empty: vscode.TreeDataProvider<never> = { getTreeItem: (e) => e, getChildren: () => [] };

  context.subscriptions.push(
    daemon,
    jobs,
    logs,
    variables,
    jobsView,
    vscode.window.registerTreeDataProvider('cronium.variables', variables),
    ...PLACEHOLDER_VIEWS.map((id) => vscode.window.registerTreeDataProvider(id, empty)),
    createStatusBar(daemon, jobs),
    daemon.onDidChangeState((state) => {
      void vscode.commands.executeCommand('setContext', 'cronium.daemonRunning', state === 'connected');
    }),
    registerCommands({
      'cronium.daemon.start': async () => {
        const client = await daemon.start();
        return client.info.pid;
      },
      'cronium.daemon.stop': async () => {
        const wasRunning = await daemon.stop();
        if (!wasRunning) void vscode.window.showInformationMessage('Cronium daemon was not running.');
        return wasRunning;
      },
      'cronium.daemon.restart': async () => (await daemon.restart()).info.pid,
      'cronium.daemon.showLog': async () => {
        const uri = vscode.Uri.file(homeFiles(daemon.home).daemonLog);
        try {
          await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
        } catch {
          throw new UserError(`No daemon log yet at ${uri.fsPath} — start the daemon first.`);
        }
      },
      'cronium.jobs.runCurrentScript': async () => (await run.runEditor(vscode.window.activeTextEditor)).id,
      'cronium.jobs.runInTerminal': async () => terminals.runEditor(vscode.window.activeTextEditor),
      'cronium.jobs.runCurrentScriptOn': async () => {
        const target = await pickTarget();
        if (!target) return undefined;
        return (await run.runEditor(vscode.window.activeTextEditor, target)).id;
      },
      'cronium.jobs.showLog': async (item) => {
        const job = jobArg(item, jobs);
        await logs.follow(job, true);
      },
      'cronium.jobs.cancel': async (item) => {
        const job = jobArg(item, jobs);
        const client = await daemon.require();
        // Resolves once the job is recorded cancelled, after its kill grace at worst: no request bound.
        jobs.upsert(await client.request(CancelJobRequest, { id: job.id }, { timeoutMs: 'unbounded' }));
      },
      'cronium.jobs.rerun': async (item) => (await run.rerun(jobArg(item, jobs).id)).id,
      'cronium.jobs.filter': async () => jobs.setFilter(await pickStatuses(jobs.currentFilter)),
      'cronium.jobs.clearFilter': () => jobs.setFilter(undefined),
      'cronium.jobs.refresh': async () => {
        await daemon.require();
        jobs.setFilter(jobs.currentFilter);
      },
      'cronium.variables.set': async (item) => variables.set(item instanceof VariableItem ? item.variable : undefined),
      'cronium.variables.delete': async (item) => {
        if (!(item instanceof VariableItem)) throw new UserError('Pick a variable in the Variables view to delete it.');
        await variables.delete(item.variable);
      },
      'cronium.variables.refresh': async () => {
        await daemon.require();
        await variables.refresh();
      },
    }),
  );

  // Show an already running daemon at once, but start one only when the user first needs it.
  void daemon.probe();
  const activationMs = performance.now() - started;
  return { activationMs, daemon, jobs };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; the daemon itself keeps running for other windows.
}

/** Tree items pass a JobItem; tests and keybindings may pass a job id. */
function jobArg(arg: unknown, jobs: JobsModel): JobDto {
  if (arg instanceof JobItem) return arg.job;
  if (typeof arg === 'string') {
    const job = jobs.get(arg);
    if (job) return job;
  }
  throw new UserError('Pick a job in the Jobs view.');
}

async function pickTarget(): Promise<Target | undefined> {
  const labels: Record<Target, string> = {
    auto: 'a container when Docker answers, else this machine',
    container: 'an isolated Docker container',
    local: 'a process on this machine',
  };
  const pick = await vscode.window.showQuickPick(
    TARGETS.map((t) => ({ label: t, description: labels[t], target: t })),
    { title: 'Run Current Script on…' },
  );
  return pick?.target;
}

async function pickStatuses(current: ReadonlySet<JobStatus> | undefined): Promise<Set<JobStatus> | undefined> {
  const picks = await vscode.window.showQuickPick(
    JOB_STATUSES.map((s) => ({ label: s, picked: current?.has(s) ?? false, status: s })),
    { title: 'Show jobs with status (none: all)', canPickMany: true },
  );
  return picks ? new Set(picks.map((p) => p.status)) : current ? new Set(current) : undefined;
}
