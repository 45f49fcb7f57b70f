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
import type { DaemonClient } from '../daemon/client/daemonClient';
import {
  CATCH_UP_POLICIES,
  EventHistoryRequest,
  OVERLAP_POLICIES,
  PauseEventRequest,
  ResumeEventRequest,
  RunEventRequest,
  UpdateEventRequest,
  type EventDto,
  type UpdateEventParams,
} from '../daemon/protocol/events';
import { createEventFromFile, createScheduleOnly, type EventPreset } from './events/createEvent';
import { EventCodeLens } from './events/eventCodeLens';
import { EventItem, EventsModel } from './events/eventsTree';
import { WorkflowBuilderProvider } from './workflows/builderEditor';
import { createWorkflow, WorkflowsModel } from './workflows/workflowsTree';
import { registerWorkflowFiles } from './workflows/workflowFiles';
import { ServerItem, ServersModel } from './servers/serversTree';
import type { ServerDto } from '../daemon/protocol/servers';

/** What `activate` returns: used by the integration tests inside the extension host. */
export interface CroniumApi {
  /** Milliseconds `activate` took, measured by the extension itself. */
  activationMs: number;
  daemon: DaemonConnection;
  jobs: JobsModel;
  events: EventsModel;
  servers: ServersModel;
}

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
  const events = new EventsModel(daemon, jobs);
  const workflows = new WorkflowsModel(daemon);
  const servers = new ServersModel(daemon);

  daemon.onSession(async (client) => {
    const overrides = daemonSettingsOverrides();
    if (Object.keys(overrides).length > 0) await client.request(UpdateSettingsRequest, overrides);
  });

  const jobsView = vscode.window.createTreeView('cronium.jobs', { treeDataProvider: jobs });
  const eventsView = vscode.window.createTreeView('cronium.events', { treeDataProvider: events });

  context.subscriptions.push(
    daemon,
    jobs,
    logs,
    variables,
    jobsView,
    events,
    eventsView,
    vscode.languages.registerCodeLensProvider({ scheme: 'file' }, new EventCodeLens(events)),
    events.onDidFail(({ event, job }) => {
      void vscode.window.showWarningMessage(`Event ${event.name} ${job.status.replace('_', ' ')}: ${job.lastError ?? `exit ${job.exitCode}`}`, 'Show Log').then((pick) => {
        if (pick) void vscode.commands.executeCommand('cronium.jobs.showLog', job.id);
      });
    }),
    vscode.window.registerTreeDataProvider('cronium.variables', variables),
    workflows,
    vscode.window.registerTreeDataProvider('cronium.workflows', workflows),
    WorkflowBuilderProvider.register(context, events, daemon, workflows),
    servers,
    vscode.window.registerTreeDataProvider('cronium.servers', servers),
    createStatusBar(daemon, jobs, events),
    registerWorkflowFiles(daemon),
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
        await servers.refresh().catch(() => undefined);
        const target = await pickTarget(servers.all.filter((s) => s.hostKey !== null).map((s) => s.name));
        if (!target) return undefined;
        if (target.server !== undefined) return (await run.runEditorOnServers(vscode.window.activeTextEditor, [target.server])).id;
        return (await run.runEditor(vscode.window.activeTextEditor, target.target)).id;
      },
      // A preset (tests) is checked by the daemon's schema like any request.
      'cronium.servers.add': async (preset) => (await servers.add(isServerPreset(preset) ? preset : undefined))?.name,
      'cronium.servers.test': async (item) => servers.test(serverArg(item, servers)),
      'cronium.servers.trust': async (item, fingerprint) => servers.trust(serverArg(item, servers), typeof fingerprint === 'string' ? fingerprint : undefined),
      'cronium.servers.remove': async (item) => servers.remove(serverArg(item, servers)),
      'cronium.servers.refresh': async () => {
        await daemon.require();
        await servers.refresh();
      },
      'cronium.servers.runCurrentScript': async (item) => (await run.runEditorOnServers(vscode.window.activeTextEditor, [serverArg(item, servers).id])).id,
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
      'cronium.events.createFromFile': async (uri, preset) => {
        const client = await daemon.require();
        const event = await createEventFromFile(client, uri instanceof vscode.Uri ? uri : undefined, (preset ?? {}) as EventPreset);
        if (event) events.upsert(event);
        return event?.id;
      },
      'cronium.events.run': async (item) => {
        const event = eventArg(item, events);
        const client = await daemon.require();
        const { job } = await client.request(RunEventRequest, { event: event.id });
        jobs.upsert(job);
        await logs.follow(job, true);
        return job.id;
      },
      'cronium.events.pause': async (item) => {
        const client = await daemon.require();
        events.upsert((await client.request(PauseEventRequest, { event: eventArg(item, events).id })).event);
      },
      'cronium.events.resume': async (item) => {
        const client = await daemon.require();
        events.upsert((await client.request(ResumeEventRequest, { event: eventArg(item, events).id })).event);
      },
      'cronium.events.openScript': async (item) => {
        const event = eventArg(item, events);
        if (!event.file) throw new UserError(`Event ${event.name} keeps its script inline: there is no file to open.`);
        await vscode.window.showTextDocument(vscode.Uri.file(event.file));
      },
      'cronium.events.history': async (item) => {
        const event = eventArg(item, events);
        const client = await daemon.require();
        const { jobs: runs } = await client.request(EventHistoryRequest, { event: event.id, limit: 50 });
        if (runs.length === 0) {
          void vscode.window.showInformationMessage(`Event ${event.name} has not run yet.`);
          return;
        }
        const slots = new Map(event.slots.filter((s) => s.jobId).map((s) => [s.jobId as string, s]));
        const pick = await vscode.window.showQuickPick(
          runs.map((job) => {
            const slot = slots.get(job.id);
            return {
              label: `${job.status} · ${job.createdAt.replace('T', ' ').slice(0, 19)}`,
              description: slot ? `slot ${slot.scheduledFor}${slot.delayMs !== null ? `, +${slot.delayMs} ms` : ''}${slot.catchUp ? ', catch-up' : ''}` : job.source,
              job,
            };
          }),
          { title: `History of ${event.name}` },
        );
        if (pick) await logs.follow(pick.job, true);
      },
      'cronium.events.edit': async (item) => {
        const event = eventArg(item, events);
        const client = await daemon.require();
        const change = await editEvent(client, event);
        if (change) events.upsert((await client.request(UpdateEventRequest, { event: event.id, ...change })).event);
      },
      'cronium.events.refresh': async () => {
        await daemon.require();
        await events.refresh();
      },
      'cronium.workflows.new': async () => (await createWorkflow())?.toString(),
      'cronium.workflows.refresh': () => workflows.refresh(),
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
  return { activationMs, daemon, jobs, events, servers };
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

/** Tree items pass an EventItem; CodeLenses, tests and keybindings pass an event id. */
function eventArg(arg: unknown, events: EventsModel): EventDto {
  if (arg instanceof EventItem) return arg.event;
  if (typeof arg === 'string') {
    const event = events.get(arg) ?? events.all().find((e) => e.name === arg);
    if (event) return event;
  }
  throw new UserError('Pick an event in the Events view.');
}

/** One setting of an event, changed without leaving the editor. */
async function editEvent(client: DaemonClient, event: EventDto): Promise<Omit<UpdateEventParams, 'event'> | undefined> {
  const fields = [
    { label: 'Schedule', description: event.scheduleText, field: 'schedule' as const },
    { label: 'Overlap', description: event.overlap, field: 'overlap' as const },
    { label: 'Catch-up', description: event.catchUp, field: 'catchUp' as const },
    { label: 'Target', description: event.target, field: 'target' as const },
    { label: 'Timeout', description: event.timeoutMs === null ? 'none' : `${event.timeoutMs} ms`, field: 'timeout' as const },
    { label: 'Max runs', description: event.maxRuns === null ? 'none' : String(event.maxRuns), field: 'maxRuns' as const },
  ];
  const pick = await vscode.window.showQuickPick(fields, { title: `Edit ${event.name}` });
  if (!pick) return undefined;
  const choose = async <T extends string>(values: readonly T[]): Promise<T | undefined> =>
    (await vscode.window.showQuickPick(values.map((v) => ({ label: v })), { title: `${pick.label} of ${event.name}` }))?.label as T | undefined;
  switch (pick.field) {
    case 'schedule': {
      const preset = await createScheduleOnly(client);
      return preset === undefined ? undefined : preset === 'manual' ? { manual: true } : preset;
    }
    case 'overlap': {
      const overlap = await choose(OVERLAP_POLICIES);
      return overlap && { overlap };
    }
    case 'catchUp': {
      const catchUp = await choose(CATCH_UP_POLICIES);
      return catchUp && { catchUp };
    }
    case 'target': {
      const target = await choose(TARGETS);
      return target && { target };
    }
    case 'timeout': {
      const ms = await vscode.window.showInputBox({ title: `Timeout of ${event.name} in seconds`, validateInput: (v) => (/^\d+$/.test(v) && Number(v) > 0 ? undefined : 'A whole number of seconds') });
      return ms === undefined ? undefined : { timeoutMs: Number(ms) * 1000 };
    }
    case 'maxRuns': {
      const n = await vscode.window.showInputBox({ title: `Max runs of ${event.name}`, validateInput: (v) => (/^\d+$/.test(v) && Number(v) > 0 ? undefined : 'A whole number') });
      return n === undefined ? undefined : { maxRuns: Number(n) };
    }
  }
}

async function pickTarget(serverNames: string[]): Promise<{ target?: Target; server?: string } | undefined> {
  const labels: Record<(typeof TARGETS)[number], string> = {
    auto: 'a container when Docker answers, else this machine',
    container: 'an isolated Docker container',
    local: 'a process on this machine',
  };
  const items: (vscode.QuickPickItem & { target?: Target; server?: string })[] = [
    ...TARGETS.map((t) => ({ label: t, description: labels[t], target: t })),
    ...serverNames.map((name) => ({ label: `$(server) ${name}`, description: 'over SSH', server: name })),
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Run Current Script on…' });
  return pick && { target: pick.target, server: pick.server };
}

/** The server a command is about: a Servers view item, or its name or id (tests, keybindings). */
function serverArg(item: unknown, servers: ServersModel): ServerDto {
  if (item instanceof ServerItem) return item.server;
  const found = typeof item === 'string' ? servers.find(item) : undefined;
  if (found !== undefined) return found;
  throw new UserError('Pick a server in the Servers view.');
}

function isServerPreset(value: unknown): value is NonNullable<Parameters<ServersModel['add']>[0]> {
  if (typeof value !== 'object' || value === null) return false;
  const { name, host } = value as { name?: unknown; host?: unknown };
  return typeof name === 'string' && typeof host === 'string';
}

async function pickStatuses(current: ReadonlySet<JobStatus> | undefined): Promise<Set<JobStatus> | undefined> {
  const picks = await vscode.window.showQuickPick(
    JOB_STATUSES.map((s) => ({ label: s, picked: current?.has(s) ?? false, status: s })),
    { title: 'Show jobs with status (none: all)', canPickMany: true },
  );
  return picks ? new Set(picks.map((p) => p.status)) : current ? new Set(current) : undefined;
}
