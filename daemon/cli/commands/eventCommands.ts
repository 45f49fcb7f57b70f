import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { RequestType } from 'vscode-jsonrpc';
import type { ErrorData } from '../../protocol/errors';
import { RUNTIMES, TARGETS, type Runtime, type Target } from '../../protocol/dto';
import {
  CATCH_UP_POLICIES,
  CreateEventRequest,
  DeleteEventRequest,
  EventHistoryRequest,
  GetEventRequest,
  ListEventsRequest,
  OVERLAP_POLICIES,
  PauseEventRequest,
  ResetEventRequest,
  ResumeEventRequest,
  RunEventRequest,
  UpdateEventRequest,
  type CatchUpPolicy,
  type CreateEventParams,
  type EventDto,
  type HttpRequestSpec,
  type OverlapPolicy,
  type UpdateEventParams,
} from '../../protocol/events';
import { registerEventActionCommands } from './eventActionCommands';
import { printJson, type CliContext } from '../context';
import { formatDuration, JOB_COLUMNS, jobRow, parseDuration, parseEnvPairs, table, UsageError } from '../format';

interface CreateOptions {
  file?: string;
  script?: string;
  httpUrl?: string;
  httpMethod?: string;
  header: string[];
  body?: string;
  expectStatus?: string;
  runtime?: string;
  cron?: string;
  tz?: string;
  every?: string;
  at?: string;
  target?: string;
  server: string[];
  overlap?: string;
  catchUp?: string;
  retries?: string;
  retryBackoff?: string;
  retryOn?: string;
  maxRuns?: string;
  timeout?: string;
  env: string[];
  cwd?: string;
  network?: boolean;
  memory?: string;
  cpus?: string;
  pids?: string;
  image?: string;
  description?: string;
  draft?: boolean;
  json?: boolean;
}

const RETRY_OUTCOMES = ['failed', 'timed_out', 'cancelled'] as const;

function retryOutcomes(text: string | undefined): CreateEventParams['retryOn'] {
  if (text === undefined) return undefined;
  return text.split(',').map((o) => oneOf(o.trim(), RETRY_OUTCOMES, '--retry-on') as (typeof RETRY_OUTCOMES)[number]);
}

/** `--http-url`, `--http-method`, `--header`, `--body`, `--expect-status` as the request. */
function httpSpec(options: CreateOptions): HttpRequestSpec {
  const headers: Record<string, string> = {};
  for (const header of options.header) {
    const colon = header.indexOf(':');
    if (colon < 1) throw new UsageError(`Invalid --header "${header}"; write it as 'Name: value'`);
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  return {
    url: options.httpUrl as string,
    ...(options.httpMethod === undefined ? {} : { method: options.httpMethod.toUpperCase() }),
    ...(options.header.length === 0 ? {} : { headers }),
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.expectStatus === undefined ? {} : { expectedStatus: wholeNumber(options.expectStatus, '--expect-status', 100) }),
  };
}

/** `--memory`, `--cpus`, `--pids` as the container limits, or undefined when none is given. */
function limitsOf(options: Pick<CreateOptions, 'memory' | 'cpus' | 'pids'>): CreateEventParams['limits'] {
  const cpus = options.cpus === undefined ? undefined : Number(options.cpus);
  if (cpus !== undefined && !(cpus > 0)) throw new UsageError(`Invalid --cpus "${options.cpus}"; use a number above 0, e.g. 0.5`);
  const limits = { memoryMb: wholeNumber(options.memory, '--memory', 6), cpus, pids: wholeNumber(options.pids, '--pids', 1) };
  return Object.values(limits).some((v) => v !== undefined) ? limits : undefined;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], option: string): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new UsageError(`Unknown ${option} "${value}"; use one of ${allowed.join(', ')}`);
  return value as T;
}

function wholeNumber(value: string | undefined, option: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`Invalid ${option} "${value}"; use a whole number of at least ${min}`);
  return n;
}

const EVENT_COLUMNS = ['NAME', 'STATUS', 'TYPE', 'SCHEDULE', 'NEXT RUN', 'RUNS'];

function eventRow(event: EventDto): string[] {
  return [
    event.name,
    event.status,
    event.type,
    event.scheduleText,
    event.nextRuns[0] ?? '-',
    event.maxRuns === null ? String(event.runCount) : `${event.runCount}/${event.maxRuns}`,
  ];
}

function describe(event: EventDto): string {
  const rows: [string, string][] = [
    ['id', event.id],
    ['name', event.name],
    ['status', event.status],
    ['type', event.type],
    ['script', event.http ? `${event.http.method ?? 'GET'} ${event.http.url}` : (event.file ?? (event.script === null ? '-' : `(inline, ${event.script.split('\n').length} lines)`))],
    ['target', event.target === 'ssh' ? `ssh (${(event.servers ?? []).length} server(s))` : event.target],
    ['schedule', event.scheduleText],
    ['overlap', event.overlap],
    ['catch-up', `${event.catchUp} (window ${formatDuration(event.catchUpWindowMs)})`],
    ['runs', event.maxRuns === null ? String(event.runCount) : `${event.runCount} of at most ${event.maxRuns}`],
    ['retries', event.retries === null ? '-' : `${event.retries.count}, from ${formatDuration(event.retries.backoffMs)}, on ${event.retries.on.join(', ')}`],
    ['timeout', event.timeoutMs === null ? '-' : formatDuration(event.timeoutMs)],
    ['env', event.envKeys.length === 0 ? '-' : event.envKeys.join(', ')],
  ];
  if (event.description) rows.push(['description', event.description]);
  let text = rows.map(([k, v]) => `${`${k}:`.padEnd(10)} ${v}`).join('\n');
  text += `\n\nnext runs:\n${event.nextRuns.length === 0 ? '  -' : event.nextRuns.map((t) => `  ${t}`).join('\n')}\n`;
  if (event.slots.length > 0) {
    const slotRows = event.slots.map((s) => [
      s.scheduledFor,
      s.firedAt === null ? '-' : `+${formatDuration(s.delayMs)}`,
      s.outcome + (s.catchUp ? ' (catch-up)' : ''),
      s.jobId ?? '-',
      s.reason ?? '',
    ]);
    text += `\nrecent slots:\n${table(['SCHEDULED FOR', 'DELAY', 'OUTCOME', 'JOB', 'REASON'], slotRows)}\n`;
  }
  return text;
}

const collect = (value: string, all: string[]): string[] => [...all, value];

/** The options `events create` and `events update` share: what runs, when, where and how. */
function withEventOptions(command: Command): Command {
  return command
    .option('--file <path>', 'the script file, read at each run')
    .option('--script <text>', 'the script itself')
    .option('--http-url <url>', 'an HTTP request event: this URL ({{variables.KEY}} is filled in at each run)')
    .option('--http-method <method>', 'its method (default GET)')
    .option('--header <header>', "a request header, 'Name: value' (repeatable)", collect, [])
    .option('--body <text>', 'the request body')
    .option('--expect-status <code>', 'the status that means success (default any 2xx)')
    .option('--runtime <runtime>', `${RUNTIMES.join(' | ')} (default: from the file name or first line)`)
    .option('--cron <expr>', 'a cron expression: 5 fields, or 6 with seconds first')
    .option('--tz <zone>', "the IANA time zone of --cron or --at (default: this machine's)")
    .option('--every <duration>', 'a true interval from now, e.g. 90s, 7m, 1h30m')
    .option('--at <datetime>', 'once, at an ISO date-time, e.g. 2026-12-24T18:00')
    .option('--target <target>', `${TARGETS.join(' | ')} (default auto)`)
    .option('--server <name>', 'run over SSH on this server (repeatable: one execution per server)', collect, [])
    .option('--overlap <policy>', `when a run is still going: ${OVERLAP_POLICIES.join(' | ')} (default allow)`)
    .option('--catch-up <policy>', `slots missed while the daemon was down: ${CATCH_UP_POLICIES.join(' | ')} (default latest)`)
    .option('--retries <n>', 'retries of a failed run: more attempts, as executions of the same job')
    .option('--retry-backoff <duration>', 'the wait before the first retry, doubled for each next (default 10s, ±50% jitter)')
    .option('--retry-on <outcomes>', 'which outcomes are retried: failed,timed_out,cancelled (default failed,timed_out)')
    .option('--max-runs <n>', 'pause the event after this many scheduled runs')
    .option('--timeout <duration>', 'kill a run after this long, e.g. 30s, 5m, 1h')
    .option('-e, --env <KEY[=VALUE]>', 'an environment variable of every run (repeatable)', collect, [])
    .option('--cwd <dir>', 'working directory of the runs')
    .option('--network', 'container runs: allow network access')
    .option('--memory <mb>', 'container runs: memory limit in MiB (default 512)')
    .option('--cpus <n>', 'container runs: CPU limit (default 0.5)')
    .option('--pids <n>', 'container runs: process limit (default 100)')
    .option('--image <image>', 'container runs: the image instead of the runtime default')
    .option('--description <text>', 'what it is for')
    .option('--json', 'print one JSON document');
}

/** The params those options give, only the ones given. */
function eventFields(options: Omit<CreateOptions, 'draft'>): Omit<CreateEventParams, 'name' | 'status'> {
  const fields: Omit<CreateEventParams, 'name' | 'status'> = {
    file: options.file === undefined ? undefined : resolve(options.file),
    script: options.script,
    http: options.httpUrl === undefined ? undefined : httpSpec(options),
    runtime: oneOf<Runtime>(options.runtime, RUNTIMES, '--runtime'),
    cron: options.cron,
    timezone: options.tz,
    every: options.every,
    at: options.at,
    target: oneOf<Target>(options.target, TARGETS, '--target'),
    servers: options.server.length === 0 ? undefined : options.server,
    overlap: oneOf<OverlapPolicy>(options.overlap, OVERLAP_POLICIES, '--overlap'),
    catchUp: oneOf<CatchUpPolicy>(options.catchUp, CATCH_UP_POLICIES, '--catch-up'),
    maxRuns: wholeNumber(options.maxRuns, '--max-runs', 1),
    retries: wholeNumber(options.retries, '--retries', 0),
    retryBackoffMs: options.retryBackoff === undefined ? undefined : parseDuration(options.retryBackoff, '--retry-backoff'),
    retryOn: retryOutcomes(options.retryOn),
    timeoutMs: options.timeout === undefined ? undefined : parseDuration(options.timeout, '--timeout'),
    env: options.env.length === 0 ? undefined : parseEnvPairs(options.env, process.env),
    cwd: options.cwd === undefined ? undefined : resolve(options.cwd),
    network: options.network,
    limits: limitsOf(options),
    image: options.image,
    description: options.description,
  };
  for (const key of Object.keys(fields) as (keyof typeof fields)[]) if (fields[key] === undefined) delete fields[key];
  return fields;
}

/** Sends a create or update and prints the event saved. */
async function saved<P>(
  context: () => CliContext,
  request: RequestType<P, { event: EventDto }, ErrorData>,
  params: P,
  json: boolean | undefined,
): Promise<void> {
  for (const key of Object.keys(params as object) as (keyof P)[]) if (params[key] === undefined) delete params[key];
  const client = await context().client();
  const { event } = await client.request(request, params);
  client.close();
  if (json) printJson(event);
  else process.stdout.write(`${event.id} ${event.name}: ${event.scheduleText}${event.nextRuns[0] ? `, next ${event.nextRuns[0]}` : ''}\n`);
}

/** `cronium events create|list|show|run|pause|resume|reset|delete|history`. An event is named by name or id. */
export function registerEventCommands(program: Command, context: () => CliContext): void {
  const events = program.command('events').description('saved scripts with schedules');
  registerEventActionCommands(events, context);

  withEventOptions(events
    .command('create')
    .description('save a script as an event; without --cron, --every or --at it runs only when asked')
    .argument('<name>', 'a name of your choice (events are addressed by name or id)')
    .option('--draft', 'save it without scheduling it')
    .action(async (name: string, options: CreateOptions) => {
      const sources = [options.file, options.script, options.httpUrl].filter((v) => v !== undefined).length;
      if (sources !== 1) throw new UsageError('Give what the event runs: --file PATH, --script TEXT or --http-url URL (one of them)');
      const params: CreateEventParams = { name, ...eventFields(options), status: options.draft ? 'draft' : undefined };
      await saved(context, CreateEventRequest, params, options.json);
    }));

  withEventOptions(events
    .command('update')
    .description("change an event's settings; the options are those of create (a new --env replaces the old one)")
    .argument('<event>', 'name or id')
    .option('--name <name>', 'a new name')
    .option('--manual', 'drop the schedule: run only when asked')
    .action(async (ref: string, options: Omit<CreateOptions, 'draft'> & { name?: string; manual?: boolean }) => {
      const sources = [options.file, options.script, options.httpUrl].filter((v) => v !== undefined).length;
      if (sources > 1) throw new UsageError('Give one of --file, --script and --http-url, not several');
      const params: UpdateEventParams = { event: ref, name: options.name, manual: options.manual, ...eventFields(options) };
      await saved(context, UpdateEventRequest, params, options.json);
    }));

  events
    .command('list')
    .description('list events')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }) => {
      const client = await context().client();
      const { events: list } = await client.request(ListEventsRequest, {});
      client.close();
      if (options.json) printJson({ events: list });
      else if (list.length === 0) process.stdout.write('No events yet. Save one with `cronium events create NAME --file PATH --cron EXPR`.\n');
      else process.stdout.write(`${table(EVENT_COLUMNS, list.map(eventRow))}\n`);
    });

  events
    .command('show')
    .description('show an event: settings, next runs, recent slots with their delay')
    .argument('<event>', 'name or id')
    .option('--json', 'print one JSON document')
    .action(async (ref: string, options: { json?: boolean }) => {
      const client = await context().client();
      const { event } = await client.request(GetEventRequest, { event: ref });
      client.close();
      if (options.json) printJson(event);
      else process.stdout.write(describe(event));
    });

  events
    .command('history')
    .description("an event's jobs, newest first")
    .argument('<event>', 'name or id')
    .option('--limit <n>', 'how many (default 20, at most 1000)', '20')
    .option('--json', 'print one JSON document')
    .action(async (ref: string, options: { limit: string; json?: boolean }) => {
      const limit = wholeNumber(options.limit, '--limit', 1) as number;
      const client = await context().client();
      const { jobs } = await client.request(EventHistoryRequest, { event: ref, limit: Math.min(limit, 1000) });
      client.close();
      if (options.json) printJson({ jobs });
      else if (jobs.length === 0) process.stdout.write('No runs yet.\n');
      else process.stdout.write(`${table(JOB_COLUMNS, jobs.map(jobRow))}\n`);
    });

  events
    .command('run')
    .description('run an event now, whatever its schedule')
    .argument('<event>', 'name or id')
    .option('--json', 'print one JSON document')
    .action(async (ref: string, options: { json?: boolean }) => {
      const client = await context().client();
      const { job } = await client.request(RunEventRequest, { event: ref });
      client.close();
      if (options.json) printJson(job);
      else process.stdout.write(`${job.id} ${job.status}\n`);
    });

  const simple = [
    ['pause', PauseEventRequest, 'stop scheduling an event (it can still be run by hand)'],
    ['resume', ResumeEventRequest, 'schedule a paused or draft event again, from now'],
    ['reset', ResetEventRequest, 'set the run count back to 0 (resumes an event paused by --max-runs)'],
  ] as const;
  for (const [verb, request, description] of simple) {
    events
      .command(verb)
      .description(description)
      .argument('<event>', 'name or id')
      .option('--json', 'print one JSON document')
      .action(async (ref: string, options: { json?: boolean }) => {
        const client = await context().client();
        const { event } = await client.request(request, { event: ref });
        client.close();
        if (options.json) printJson(event);
        else process.stdout.write(`${event.name} ${event.status}${event.nextRuns[0] ? `, next ${event.nextRuns[0]}` : ''}\n`);
      });
  }

  events
    .command('delete')
    .description('delete an event (its jobs and their logs stay)')
    .argument('<event>', 'name or id')
    .action(async (ref: string) => {
      const client = await context().client();
      await client.request(DeleteEventRequest, { event: ref });
      client.close();
      process.stdout.write(`deleted ${ref}\n`);
    });
}
