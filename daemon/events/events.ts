import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { CroniumError } from '../errors';
import { detectRuntime } from '../executors/runtimes';
import type { JobRequest } from '../queue/jobRequest';
import type { JobQueue } from '../queue/jobQueue';
import type { Runtime, Target } from '../protocol/dto';
import { ErrorCodes } from '../protocol/errors';
import type {
  CreateEventParams,
  EventDto,
  HttpRequestSpec,
  PreviewScheduleParams,
  PreviewScheduleResult,
  ScheduleDto,
  SlotDto,
  UpdateEventParams,
} from '../protocol/events';
import { describeSchedule, nextSlots, parseSchedule, ScheduleError, touchesDst, type Schedule, type ScheduleInput } from '../scheduler/schedule';
import type { SecretBox } from '../secrets/secretBox';
import { HTTP_RUNNER } from './httpRunner';
import type { EventRecord, EventStore, SlotRecord } from '../store/eventStore';
import type { JobRecord, RetryPolicy } from '../store/jobStore';

/** Missed slots are caught up within this window by default (policy `latest` or `all`). */
export const DEFAULT_CATCH_UP_WINDOW_MS = 24 * 60 * 60 * 1000;
const SLOTS_SHOWN = 20;
const NEXT_RUNS_SHOWN = 5;

export function eventNotFound(ref: string): CroniumError {
  return new CroniumError(ErrorCodes.EventNotFound, 'event_not_found', `No event ${ref}`, { event: ref });
}

/** A field of the request that cannot be taken: an `invalid_params` error naming it, as zod's are. */
export function invalidField(method: string, field: string, message: string): CroniumError {
  return new CroniumError(ErrorCodes.InvalidParams, 'invalid_params', `Invalid params for ${method}: ${field}: ${message}`, {
    issues: [{ path: field, message }],
  });
}

function newEventId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = 'evt_';
  for (const b of randomBytes(12)) id += alphabet[b % alphabet.length];
  return id;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export interface EventsDeps {
  store: EventStore;
  queue: JobQueue;
  secrets: SecretBox;
  now: () => number;
  /** The event was created, changed or deleted: the scheduler re-arms, watchers hear of it. */
  changed: (id: string) => void;
  /** Server names or ids to ids (`servers`); throws for one that does not exist. */
  resolveServers?: (refs: readonly string[]) => string[];
}

/**
 * Saved scripts and their settings: create, change, delete, run. What an event runs is decided here
 * (its script, or its file read now), so the scheduler, a manual run and a chained action make the
 * same job request.
 */
export class Events {
  constructor(private readonly deps: EventsDeps) {}

  list(): EventRecord[] {
    return this.deps.store.list();
  }

  /** The event's latest jobs, newest first. */
  jobIds(eventId: string, limit: number): string[] {
    return this.deps.store.jobIds(eventId, limit);
  }

  find(ref: string): EventRecord {
    const event = this.deps.store.find(ref);
    if (event === undefined) throw eventNotFound(ref);
    return event;
  }

  create(params: CreateEventParams): EventRecord {
    const method = 'events/create';
    if (this.deps.store.find(params.name) !== undefined) {
      throw new CroniumError(ErrorCodes.EventExists, 'event_exists', `An event named ${params.name} exists already`, { event: params.name });
    }
    const given = [params.script, params.file, params.http].filter((v) => v !== undefined).length;
    if (given !== 1) throw invalidField(method, 'script', 'give one of script, file and http (the script, a file, or an HTTP request)');
    const now = this.deps.now();
    const type = params.http !== undefined ? 'http' : this.runtimeOf(method, params.runtime, params.script, params.file);
    const schedule = this.schedule(method, params, now);
    const env = params.env ?? {};
    const event: EventRecord = {
      id: newEventId(),
      name: params.name,
      description: params.description ?? '',
      tags: params.tags ?? [],
      type,
      script: params.script ?? null,
      file: params.file ?? null,
      http: params.http ?? null,
      ...this.targetOf(method, params, { target: 'auto', targetOptions: {} }),
      envSealed: Object.keys(env).length > 0 ? this.deps.secrets.seal(JSON.stringify(env)) : null,
      envKeys: Object.keys(env).sort(),
      cwd: params.cwd ?? null,
      timeoutMs: params.timeoutMs ?? null,
      retries: retriesOf(params, null),
      status: params.status ?? 'active',
      maxRuns: params.maxRuns ?? null,
      runCount: 0,
      overlap: params.overlap ?? 'allow',
      catchUp: params.catchUp ?? 'latest',
      catchUpWindowMs: params.catchUpWindowMs ?? DEFAULT_CATCH_UP_WINDOW_MS,
      schedule,
      // Slots before the event existed are none of its business.
      decidedThrough: now,
      createdAt: now,
      updatedAt: now,
    };
    this.deps.store.insert(event);
    this.deps.changed(event.id);
    return event;
  }

  update(params: UpdateEventParams): EventRecord {
    const method = 'events/update';
    const old = this.find(params.event);
    const now = this.deps.now();
    if (params.name !== undefined && params.name !== old.name && this.deps.store.find(params.name) !== undefined) {
      throw new CroniumError(ErrorCodes.EventExists, 'event_exists', `An event named ${params.name} exists already`, { event: params.name });
    }
    if (params.script !== undefined && params.file !== undefined) throw invalidField(method, 'script', 'give the script or a file, not both');
    const replaced = params.script !== undefined || params.file !== undefined || params.http !== undefined;
    const script = replaced ? (params.script ?? null) : old.script;
    const file = replaced ? (params.file ?? null) : old.file;
    const http = replaced ? (params.http ?? null) : old.http;
    const scheduleGiven = params.cron !== undefined || params.every !== undefined || params.at !== undefined;
    if (params.manual && scheduleGiven) throw invalidField(method, 'manual', 'a manual event has no cron, every or at');
    const schedule: Schedule = params.manual ? { kind: 'manual' } : scheduleGiven ? this.schedule(method, params, now) : (old.schedule as Schedule);
    if ([params.script, params.file, params.http].filter((v) => v !== undefined).length > 1) {
      throw invalidField(method, 'script', 'give one of script, file and http, not several');
    }
    const type =
      http !== null
        ? 'http'
        : params.runtime !== undefined || replaced
          ? this.runtimeOf(method, params.runtime ?? (old.type === 'http' ? undefined : old.type), script ?? undefined, file ?? undefined)
          : old.type;
    const env = params.env;
    const event: EventRecord = {
      ...old,
      name: params.name ?? old.name,
      description: params.description ?? old.description,
      tags: params.tags ?? old.tags,
      type,
      script,
      file,
      http,
      ...this.targetOf(method, params, old),
      envSealed: env === undefined ? old.envSealed : Object.keys(env).length > 0 ? this.deps.secrets.seal(JSON.stringify(env)) : null,
      envKeys: env === undefined ? old.envKeys : Object.keys(env).sort(),
      cwd: params.cwd ?? old.cwd,
      timeoutMs: params.timeoutMs ?? old.timeoutMs,
      status: params.status ?? old.status,
      maxRuns: params.maxRuns ?? old.maxRuns,
      retries: retriesOf(params, old.retries as RetryPolicy | null),
      overlap: params.overlap ?? old.overlap,
      catchUp: params.catchUp ?? old.catchUp,
      catchUpWindowMs: params.catchUpWindowMs ?? old.catchUpWindowMs,
      schedule,
      // A new schedule starts from now: slots of the old one are not caught up under the new one.
      decidedThrough: scheduleGiven || params.manual ? now : old.decidedThrough,
      updatedAt: now,
    };
    this.deps.store.update(event);
    this.deps.changed(event.id);
    return event;
  }

  delete(ref: string): void {
    const event = this.find(ref);
    this.deps.store.delete(event.id);
    this.deps.changed(event.id);
  }

  /** Stops scheduling it; a manual run still works. */
  pause(ref: string): EventRecord {
    return this.setStatus(this.find(ref), 'paused');
  }

  /** Schedules it again from now: the slots it missed while paused are not run. */
  resume(ref: string): EventRecord {
    const event = this.find(ref);
    return this.setStatus(event, 'active', event.status === 'active' ? event.decidedThrough : this.deps.now());
  }

  /** The run count back to 0; an event that max runs paused is active again. */
  reset(ref: string): EventRecord {
    const event = this.find(ref);
    const reached = event.status === 'paused' && event.maxRuns !== null && event.runCount >= event.maxRuns;
    const next: EventRecord = {
      ...event,
      runCount: 0,
      status: reached ? 'active' : event.status,
      decidedThrough: reached ? this.deps.now() : event.decidedThrough,
      updatedAt: this.deps.now(),
    };
    this.deps.store.update(next);
    this.deps.changed(event.id);
    return next;
  }

  /** What a schedule would do, saving nothing. */
  preview(params: PreviewScheduleParams): PreviewScheduleResult {
    const now = this.deps.now();
    const schedule = this.schedule('events/previewSchedule', params, now);
    return {
      scheduleText: describeSchedule(schedule),
      nextRuns: nextSlots(schedule, now, NEXT_RUNS_SHOWN).map(iso),
      dstWarning: touchesDst(schedule, now, NEXT_RUNS_SHOWN),
    };
  }

  /** Runs it now, whatever its schedule and status. */
  async run(ref: string): Promise<JobRecord> {
    const event = this.find(ref);
    return this.deps.queue.submit(this.request(event, 'manual', null));
  }

  /**
   * The job request of one run of `event`: its script, or its file as it is now. Throws when the file
   * cannot be read (the scheduler records the slot failed with that message).
   */
  request(
    event: EventRecord,
    source: JobRequest['source'],
    triggeredAt: number | null,
    extraEnv: Record<string, string> = {},
    /** What `cronium.input()` returns (a chained action passes the previous job's output). */
    input: unknown = undefined,
  ): JobRequest {
    const own = event.envSealed === null ? {} : (JSON.parse(this.deps.secrets.open(event.envSealed)) as Record<string, string>);
    const common = {
      source,
      target: event.target as Target,
      targetOptions: event.targetOptions,
      name: event.name,
      env: { ...own, ...extraEnv },
      cwd: event.cwd,
      timeoutMs: event.timeoutMs,
      eventId: event.id,
      workflowRunId: null,
      workflowStepId: null,
      attempt: 1,
      triggeredAt,
      terminal: null,
      retries: (event.retries ?? null) as RetryPolicy | null,
      ...(event.target === 'ssh' ? { servers: serversOf(event.targetOptions) } : {}),
    };
    if (event.type === 'http') {
      // The request runs as a Node.js job on the host (a container job has no network by default).
      return { ...common, script: HTTP_RUNNER, scriptName: 'http-request.js', runtime: 'node', target: 'local', input: event.http };
    }
    let script = event.script ?? '';
    if (event.file !== null) {
      try {
        script = readFileSync(event.file, 'utf8');
      } catch (e) {
        throw new CroniumError(ErrorCodes.InvalidParams, 'invalid_params', `Cannot read ${event.file}, the script of event ${event.name}: ${(e as Error).message}`);
      }
    }
    return { ...common, script, scriptName: event.file === null ? null : basename(event.file), runtime: event.type, input };
  }

  /** Target and options of an event: `servers` make it an SSH event (their ids stored with the options). */
  private targetOf(
    method: string,
    params: Pick<CreateEventParams, 'target' | 'servers' | 'network' | 'limits' | 'image'>,
    old: Pick<EventRecord, 'target' | 'targetOptions'>,
  ): Pick<EventRecord, 'target' | 'targetOptions'> {
    const options = targetOptionsOf(params, old.targetOptions);
    if (params.servers !== undefined) {
      if (params.target !== undefined && params.target !== 'ssh') throw invalidField(method, 'target', `an event on servers runs on target ssh, not ${params.target}`);
      if (this.deps.resolveServers === undefined) throw invalidField(method, 'servers', 'this daemon has no SSH servers');
      return { target: 'ssh', targetOptions: { ...options, servers: this.deps.resolveServers(params.servers) } };
    }
    const target = params.target ?? old.target;
    if (target === 'ssh' && serversOf(options).length === 0) throw invalidField(method, 'servers', 'target ssh needs the servers to run on');
    if (target !== 'ssh') delete options.servers;
    return { target, targetOptions: options };
  }

  dto(event: EventRecord, withSlots = false): EventDto {
    const schedule = event.schedule as Schedule;
    const now = this.deps.now();
    return {
      id: event.id,
      name: event.name,
      description: event.description,
      tags: event.tags,
      type: event.type,
      script: event.script,
      file: event.file,
      http: (event.http ?? null) as HttpRequestSpec | null,
      target: event.target as Target,
      servers: serversOf(event.targetOptions),
      status: event.status,
      schedule: scheduleDto(schedule),
      scheduleText: describeSchedule(schedule),
      nextRuns: event.status === 'active' ? nextSlots(schedule, Math.max(now, event.decidedThrough ?? now), NEXT_RUNS_SHOWN).map(iso) : [],
      overlap: event.overlap,
      catchUp: event.catchUp,
      catchUpWindowMs: event.catchUpWindowMs,
      maxRuns: event.maxRuns,
      runCount: event.runCount,
      retries: (event.retries ?? null) as RetryPolicy | null,
      timeoutMs: event.timeoutMs,
      envKeys: event.envKeys,
      cwd: event.cwd,
      slots: withSlots ? this.deps.store.recentSlots(event.id, SLOTS_SHOWN).map(slotDto) : [],
      createdAt: iso(event.createdAt),
      updatedAt: iso(event.updatedAt),
    };
  }

  private setStatus(event: EventRecord, status: EventRecord['status'], decidedThrough = event.decidedThrough): EventRecord {
    const next = { ...event, status, decidedThrough, updatedAt: this.deps.now() };
    this.deps.store.update(next);
    this.deps.changed(event.id);
    return next;
  }

  private runtimeOf(method: string, explicit: Runtime | undefined, script: string | undefined, file: string | undefined): Runtime {
    let content = script ?? '';
    if (file !== undefined) {
      try {
        content = readFileSync(file, 'utf8');
      } catch (e) {
        throw invalidField(method, 'file', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    const runtime = detectRuntime({ explicit, fileName: file, content });
    if (runtime === undefined) throw invalidField(method, 'runtime', 'cannot tell from the file name or the first line: give one of bash, python, node');
    return runtime;
  }

  private schedule(method: string, params: ScheduleInput, now: number): Schedule {
    try {
      return parseSchedule({ cron: params.cron, timezone: params.timezone, every: params.every, at: params.at }, now);
    } catch (e) {
      if (e instanceof ScheduleError) throw invalidField(method, e.field, e.message.replace(new RegExp(`^${e.field}: `), ''));
      throw e;
    }
  }
}

/** Default wait before the first retry. */
const DEFAULT_RETRY_BACKOFF_MS = 10_000;

/** The retry policy from `retries`, `retryBackoffMs`, `retryOn` over the old one; none for 0 retries. */
function retriesOf(params: Pick<CreateEventParams, 'retries' | 'retryBackoffMs' | 'retryOn'>, old: RetryPolicy | null): RetryPolicy | null {
  if (params.retries === undefined && params.retryBackoffMs === undefined && params.retryOn === undefined) return old;
  const count = params.retries ?? old?.count ?? 0;
  if (count === 0) return null;
  return {
    count,
    backoffMs: params.retryBackoffMs ?? old?.backoffMs ?? DEFAULT_RETRY_BACKOFF_MS,
    on: params.retryOn ?? old?.on ?? ['failed', 'timed_out'],
  };
}

/** The servers (ids) an SSH event runs on: kept with its target options. */
function serversOf(options: Record<string, unknown>): string[] {
  return Array.isArray(options.servers) ? options.servers.filter((s): s is string => typeof s === 'string') : [];
}

/** What the runs ask of their target (network, limits, image): the given ones over the old ones. */
function targetOptionsOf(params: Pick<CreateEventParams, 'network' | 'limits' | 'image'>, old: Record<string, unknown>): Record<string, unknown> {
  return {
    ...old,
    ...(params.network === undefined ? {} : { network: params.network }),
    ...(params.limits === undefined ? {} : { limits: params.limits }),
    ...(params.image === undefined ? {} : { image: params.image }),
  };
}

function scheduleDto(schedule: Schedule): ScheduleDto {
  switch (schedule.kind) {
    case 'manual':
      return { kind: 'manual' };
    case 'cron':
      return { kind: 'cron', expression: schedule.expression, timezone: schedule.timezone };
    case 'every':
      return { kind: 'every', everyMs: schedule.everyMs, anchor: iso(schedule.anchorMs) };
    case 'at':
      return { kind: 'at', at: iso(schedule.atMs) };
  }
}

function slotDto(slot: SlotRecord): SlotDto {
  const fired = slot.decision === 'fired' || slot.decision === 'firing';
  return {
    scheduledFor: iso(slot.scheduledFor),
    firedAt: fired ? iso(slot.decidedAt) : null,
    delayMs: fired ? slot.decidedAt - slot.scheduledFor : null,
    jobId: slot.jobId,
    outcome: slot.decision === 'fired' ? (slot.jobStatus ?? 'fired') : slot.decision,
    reason: slot.reason,
    catchUp: slot.catchUp,
  };
}
