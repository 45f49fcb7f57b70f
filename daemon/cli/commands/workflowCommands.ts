import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { DaemonClient } from '../../client/daemonClient';
import type { LogLineDto } from '../../protocol/dto';
import {
  CancelWorkflowRunRequest,
  DryRunWorkflowRequest,
  ExportWorkflowRequest,
  GetWorkflowRequest,
  GetWorkflowRunRequest,
  ListWorkflowsRequest,
  RegisterWorkflowRequest,
  ResumeWorkflowRunRequest,
  RUN_STATUSES,
  RUN_TRIGGERS,
  RunWorkflowRequest,
  ValidateWorkflowRequest,
  WorkflowHistoryRequest,
  type DryRunOutcome,
  type RunStatus,
  type RunTrigger,
  type WorkflowDto,
  type WorkflowIssue,
  type WorkflowRefParams,
  type WorkflowRunDto,
  type WorkflowStepDto,
} from '../../protocol/workflows';
import { printJson, type CliContext } from '../context';
import { formatDuration, table, UsageError } from '../format';
import { followRuns } from '../followRun';

const RUN_ID = /^wfr_[a-z0-9]{12}$/;

/** A file when one exists at that path (or it ends in .json), else a workflow's name or id. */
function refOf(arg: string): WorkflowRefParams {
  const path = resolve(arg);
  return existsSync(path) || arg.endsWith('.json') ? { path } : { workflow: arg };
}

function parseJson(text: string, option: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${option} is not JSON: ${text}; e.g. ${option} '{"version":"1.2"}'`);
  }
}

function issueLines(errors: WorkflowIssue[], warnings: WorkflowIssue[]): string {
  return [...errors.map((e) => `error: ${e.message}`), ...warnings.map((w) => `warning: ${w.message}`)].map((l) => `  ${l}\n`).join('');
}

const RUN_COLUMNS = ['RUN', 'WORKFLOW', 'STATUS', 'TRIGGER', 'STEPS', 'DURATION', 'CREATED'];

function runRow(run: WorkflowRunDto): string[] {
  const done = run.steps.filter((s) => s.status === 'succeeded').length;
  return [run.id, run.workflowName, run.status, run.trigger, `${done}/${run.steps.length} ok`, formatDuration(run.durationMs), run.createdAt.replace('T', ' ').slice(0, 19)];
}

function describeRun(run: WorkflowRunDto): string {
  const text = `${run.id} ${run.workflowName}: ${run.status} (${run.trigger}${run.resumes > 0 ? `, resumed ${run.resumes}×` : ''}, ${formatDuration(run.durationMs)})\n\n`;
  const rows = run.steps.map((s) => [s.id, s.status, String(s.attempt), s.jobId ?? '-', formatDuration(s.durationMs), s.reason ?? '']);
  return `${text}${table(['STEP', 'STATUS', 'ATTEMPT', 'JOB', 'DURATION', 'REASON'], rows)}\n`;
}

function describeWorkflow(workflow: WorkflowDto): string {
  const doc = workflow.document;
  const rows: [string, string][] = [
    ['id', workflow.id],
    ['name', workflow.name],
    ['file', workflow.file ?? '-'],
    ['schedule', workflow.scheduleText ?? '-'],
    ['next run', workflow.nextRuns[0] ?? '-'],
    ['webhook', workflow.webhookUrl ?? (doc.triggers?.webhook ? 'not listening (see the daemon log)' : '-')],
    ['overlap', doc.overlap ?? 'allow'],
  ];
  let text = rows.map(([k, v]) => `${`${k}:`.padEnd(10)} ${v}`).join('\n');
  text += `\n\nsteps:\n${doc.nodes.map((n) => `  ${n.id}  ${n.script ? `${n.script.runtime} script` : n.event ? `event ${n.event}` : `${n.http?.method ?? 'GET'} ${n.http?.url}`} on ${n.http ? 'local' : (n.target ?? (n.event ? "the event's target" : 'auto'))}`).join('\n')}\n`;
  text += `\nedges:\n${doc.edges.length === 0 ? '  -' : doc.edges.map((e) => `  ${e.from} → ${e.to} (${e.when})`).join('\n')}\n`;
  if (workflow.problems.length > 0) text += `\nthe file's latest edit is invalid (the version above stays in force):\n${issueLines(workflow.problems, [])}`;
  if (workflow.warnings.length > 0) text += `\n${issueLines([], workflow.warnings)}`;
  return text;
}

/** Prints a step's status and its log lines as they come, prefixed with the step's id. */
function liveOutput(): { step: (step: WorkflowStepDto) => void; lines: (nodeId: string, lines: LogLineDto[]) => void } {
  return {
    step: (step) => {
      const extra = step.status === 'running' ? (step.jobId === null ? '' : ` (${step.jobId})`) : step.reason ? ` — ${step.reason}` : '';
      if (step.status === 'pending' || (step.status === 'running' && step.jobId === null)) return;
      process.stderr.write(`cronium: step ${step.id} ${step.status}${extra}\n`);
    },
    lines: (nodeId, lines) => {
      for (const line of lines) (line.stream === 'stdout' ? process.stdout : process.stderr).write(`[${nodeId}] ${line.text}${line.partial ? '' : '\n'}`);
    },
  };
}

/** Exit code of a finished run: 0 succeeded, 130 cancelled, 1 otherwise. */
function runExitCode(run: WorkflowRunDto): number {
  return run.status === 'succeeded' ? 0 : run.status === 'cancelled' ? 130 : 1;
}

/** Follows a run to its end (live, or quietly for --json), cancelling it on Ctrl-C. */
async function follow(client: DaemonClient, start: () => Promise<WorkflowRunDto>, json: boolean): Promise<WorkflowRunDto> {
  const follower = await followRuns(client, json ? {} : liveOutput());
  const run = await start();
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`\ncronium: cancelling ${run.id} (Ctrl-C again to leave it running)\n`);
    void client.request(CancelWorkflowRunRequest, { run: run.id }, { timeoutMs: 'unbounded' }).catch(() => undefined);
  });
  const final = await follower.finished(run.id);
  if (json) printJson(final);
  else process.stderr.write(`cronium: run ${final.id} ${final.status} in ${formatDuration(final.durationMs)}\n`);
  return final;
}

/** `step=succeeded|failed[,condition=true|false]` as a dry-run outcome. */
function outcomeOf(text: string, all: Record<string, DryRunOutcome>): Record<string, DryRunOutcome> {
  const match = /^([^=]+)=(succeeded|failed)(?:,condition=(true|false))?$/.exec(text);
  if (!match) throw new UsageError(`Invalid --outcome "${text}"; write STEP=succeeded or STEP=failed, optionally ,condition=true`);
  return { ...all, [match[1]]: { status: match[2] as DryRunOutcome['status'], ...(match[3] ? { condition: match[3] === 'true' } : {}) } };
}

/** `cronium workflows validate|run|list|show|history|resume|cancel|dry-run|export|import`. */
export function registerWorkflowCommands(program: Command, context: () => CliContext): void {
  const workflows = program.command('workflows').description('graphs of steps with conditional edges, from NAME.cronium.json files');
  const connect = () => context().client();

  workflows
    .command('validate')
    .description('check a workflow file; exits 1 and names the nodes when it is invalid')
    .argument('<file>', 'a NAME.cronium.json file')
    .option('--json', 'print one JSON document')
    .action(async (file: string, options: { json?: boolean }) => {
      const client = await connect();
      const result = await client.request(ValidateWorkflowRequest, { path: resolve(file) });
      client.close();
      if (options.json) printJson(result);
      else if (result.valid) process.stdout.write(`${file}: valid${result.name ? ` (${result.name})` : ''}\n${issueLines([], result.warnings)}`);
      else process.stdout.write(`${file}: invalid\n${issueLines(result.errors, result.warnings)}`);
      process.exitCode = result.valid ? 0 : 1;
    });

  workflows
    .command('run')
    .description('run a workflow; streams step status and step logs, exits non-zero unless it succeeded')
    .argument('<workflow>', 'a NAME.cronium.json file, or a registered workflow by name or id')
    .option('--input <json>', 'the input of the start steps')
    .option('--json', 'print the finished run (status, steps) instead of the logs')
    .action(async (arg: string, options: { input?: string; json?: boolean }) => {
      const input = options.input === undefined ? undefined : parseJson(options.input, '--input');
      const client = await connect();
      const final = await follow(client, async () => (await client.request(RunWorkflowRequest, { ...refOf(arg), input })).run, options.json === true);
      client.close();
      process.exitCode = runExitCode(final);
    });

  workflows
    .command('resume')
    .description("run a failed run's failed steps again with their recorded inputs (succeeded steps are not run again)")
    .argument('<run>', 'run id, e.g. wfr_0a1b2c3d4e5f')
    .option('--json', 'print the finished run instead of the logs')
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await connect();
      const final = await follow(client, async () => (await client.request(ResumeWorkflowRunRequest, { run: id })).run, options.json === true);
      client.close();
      process.exitCode = runExitCode(final);
    });

  workflows
    .command('cancel')
    .description('cancel a run: its running steps are stopped, the rest skipped')
    .argument('<run>', 'run id')
    .option('--json', 'print one JSON document')
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await connect();
      const { run } = await client.request(CancelWorkflowRunRequest, { run: id }, { timeoutMs: 'unbounded' });
      client.close();
      if (options.json) printJson(run);
      else process.stdout.write(`${run.id} ${run.status}\n`);
    });

  workflows
    .command('list')
    .description('list workflows')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }) => {
      const client = await connect();
      const { workflows: list } = await client.request(ListWorkflowsRequest, {});
      client.close();
      if (options.json) printJson({ workflows: list });
      else if (list.length === 0) process.stdout.write('No workflows yet. Run one with `cronium workflows run NAME.cronium.json`.\n');
      else {
        const rows = list.map((w) => [w.name, String(w.document.nodes.length), w.scheduleText ?? '-', w.problems.length > 0 ? 'invalid edit' : 'ok', w.file ?? '-']);
        process.stdout.write(`${table(['NAME', 'STEPS', 'SCHEDULE', 'FILE STATE', 'FILE'], rows)}\n`);
      }
    });

  workflows
    .command('show')
    .description('show a workflow (file, name or id) or a run (wfr_…) with its steps')
    .argument('<workflow-or-run>')
    .option('--json', 'print one JSON document')
    .action(async (arg: string, options: { json?: boolean }) => {
      const client = await connect();
      if (RUN_ID.test(arg)) {
        const { run } = await client.request(GetWorkflowRunRequest, { run: arg });
        client.close();
        if (options.json) printJson(run);
        else process.stdout.write(describeRun(run));
        return;
      }
      const { workflow } = await client.request(GetWorkflowRequest, refOf(arg));
      client.close();
      if (options.json) printJson(workflow);
      else process.stdout.write(describeWorkflow(workflow));
    });

  workflows
    .command('history')
    .description('runs, newest first')
    .argument('[workflow]', 'only this workflow (file, name or id)')
    .option('--status <status>', RUN_STATUSES.join(' | '))
    .option('--trigger <trigger>', RUN_TRIGGERS.join(' | '))
    .option('--since <datetime>', 'runs created at or after this ISO date-time')
    .option('--until <datetime>', 'runs created at or before this ISO date-time')
    .option('--limit <n>', 'how many (default 20, at most 1000)', '20')
    .option('--json', 'print one JSON document')
    .action(async (arg: string | undefined, options: { status?: string; trigger?: string; since?: string; until?: string; limit: string; json?: boolean }) => {
      if (options.status !== undefined && !RUN_STATUSES.includes(options.status as RunStatus)) throw new UsageError(`Unknown --status "${options.status}"; use one of ${RUN_STATUSES.join(', ')}`);
      if (options.trigger !== undefined && !RUN_TRIGGERS.includes(options.trigger as RunTrigger)) throw new UsageError(`Unknown --trigger "${options.trigger}"; use one of ${RUN_TRIGGERS.join(', ')}`);
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`Invalid --limit "${options.limit}"; use a whole number from 1 to 1000`);
      const client = await connect();
      let workflow: string | undefined;
      if (arg !== undefined) {
        const ref = refOf(arg);
        workflow = ref.path !== undefined ? (await client.request(GetWorkflowRequest, ref)).workflow.id : ref.workflow;
      }
      const { runs } = await client.request(WorkflowHistoryRequest, {
        workflow,
        status: options.status as RunStatus | undefined,
        trigger: options.trigger as RunTrigger | undefined,
        since: options.since,
        until: options.until,
        limit,
      });
      client.close();
      if (options.json) printJson({ runs });
      else if (runs.length === 0) process.stdout.write('No runs yet.\n');
      else process.stdout.write(`${table(RUN_COLUMNS, runs.map(runRow))}\n`);
    });

  workflows
    .command('dry-run')
    .description('which edges fire and which steps would run, given chosen outcomes; runs nothing')
    .argument('<workflow>', 'a NAME.cronium.json file, or a workflow by name or id')
    .option('--outcome <step=outcome>', 'STEP=succeeded|failed[,condition=true|false] (repeatable; default: succeeded, no condition)', outcomeOf, {})
    .option('--json', 'print one JSON document')
    .action(async (arg: string, options: { outcome: Record<string, DryRunOutcome>; json?: boolean }) => {
      const client = await connect();
      const result = await client.request(DryRunWorkflowRequest, { ...refOf(arg), outcomes: options.outcome });
      client.close();
      if (options.json) {
        printJson(result);
        return;
      }
      const steps = result.steps.map((s) => [s.id, s.wouldRun ? `runs, ${s.outcome?.status}${s.outcome?.condition === undefined ? '' : `, condition ${s.outcome.condition}`}` : 'skipped', s.reason ?? '']);
      const edges = result.edges.map((e) => [`${e.from} → ${e.to}`, e.when, e.fires ? 'fires' : '-']);
      process.stdout.write(`${table(['STEP', 'WOULD', 'WHY'], steps)}\n\n${table(['EDGE', 'WHEN', 'FIRES'], edges)}\n\nrun status: ${result.status}\n`);
    });

  workflows
    .command('export')
    .description("print a workflow as its file's text (fixed key order), or write it to --output")
    .argument('<workflow>', 'name or id')
    .option('--output <file>', 'write it there (it becomes the workflow\'s file)')
    .action(async (ref: string, options: { output?: string }) => {
      const client = await connect();
      const { text, path } = await client.request(ExportWorkflowRequest, { workflow: ref, path: options.output === undefined ? undefined : resolve(options.output) });
      client.close();
      if (path === null) process.stdout.write(text);
      else process.stdout.write(`wrote ${path}\n`);
    });

  workflows
    .command('import')
    .description('register a workflow file with the daemon (validated, then watched for changes)')
    .argument('<file>', 'a NAME.cronium.json file')
    .option('--json', 'print one JSON document')
    .action(async (file: string, options: { json?: boolean }) => {
      const client = await connect();
      const { workflow } = await client.request(RegisterWorkflowRequest, { path: resolve(file) });
      client.close();
      if (options.json) printJson(workflow);
      else process.stdout.write(`${workflow.name} (${workflow.id}) from ${workflow.file}\n`);
    });
}
