import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { JobDto, Runtime, Target } from './dto';
import type { ErrorData } from './errors';

export const EVENT_STATUSES = ['active', 'paused', 'draft', 'archived'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];
export const OVERLAP_POLICIES = ['allow', 'skip', 'queue', 'replace'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];
export const CATCH_UP_POLICIES = ['none', 'latest', 'all'] as const;
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number];

/** How an event is scheduled, as the daemon normalized it. Times are ISO 8601. */
export type ScheduleDto =
  | { kind: 'manual' }
  | { kind: 'cron'; expression: string; timezone: string }
  | { kind: 'every'; everyMs: number; anchor: string }
  | { kind: 'at'; at: string };

/** One slot of a schedule in the ledger: when it was due, when it fired, what came of it. */
export interface SlotDto {
  scheduledFor: string;
  firedAt: string | null;
  /** Milliseconds between the slot and its firing (null when it did not fire). */
  delayMs: number | null;
  jobId: string | null;
  /** `skipped`, `failed` (the job could not be made), `firing`, or the status of the slot's job. */
  outcome: string;
  /** Why it was skipped, late or failed, in words. */
  reason: string | null;
  catchUp: boolean;
}

export interface EventDto {
  id: string;
  name: string;
  description: string;
  tags: string[];
  type: Runtime | 'http';
  /** The script, when it is stored with the event. */
  script: string | null;
  /** A file read at each run, when the event runs one. */
  file: string | null;
  /** The request, for an HTTP-request event. */
  http: HttpRequestSpec | null;
  target: Target;
  /** Target `ssh`: the servers (ids) each run goes to, one execution each. */
  servers?: string[];
  status: EventStatus;
  schedule: ScheduleDto;
  /** The schedule in words: `cron 0 9 * * 1-5 (Europe/Berlin)`, `every 7m`, `manual`. */
  scheduleText: string;
  /** The next fire times (up to 5; none when the event is not active). */
  nextRuns: string[];
  overlap: OverlapPolicy;
  catchUp: CatchUpPolicy;
  catchUpWindowMs: number;
  maxRuns: number | null;
  runCount: number;
  retries: { count: number; backoffMs: number; on: string[] } | null;
  timeoutMs: number | null;
  envKeys: string[];
  cwd: string | null;
  /** The latest slots, newest first (only in answers about one event). */
  slots: SlotDto[];
  createdAt: string;
  updatedAt: string;
}

/**
 * An HTTP-request event: the request, run as a job on the host. `{{variables.KEY}}` in the URL, a
 * header or the body is filled in at each run (secret variables too: masked in the log). The answer
 * (status, headers, body up to 1 MiB) is the job's output; a status other than `expectedStatus`
 * (default: any 2xx) fails the job. Redirects are not followed.
 */
export interface HttpRequestSpec {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  expectedStatus?: number;
  /** Default 30 s. */
  timeoutMs?: number;
}

/** Params of {@link CreateEventRequest}. One of `script`, `file` and `http`; at most one of `cron`, `every`, `at`. */
export interface CreateEventParams {
  name: string;
  description?: string;
  tags?: string[];
  /** The runtime; default from the file's name or the script's first line. */
  runtime?: Runtime;
  script?: string;
  /** An absolute path, read at each run. */
  file?: string;
  http?: HttpRequestSpec;
  /** Cron, 5 fields or 6 with seconds first; in `timezone` (default the daemon's zone). */
  cron?: string;
  timezone?: string;
  /** A true interval from now: `7m`, `90s`, `1h30m`. */
  every?: string;
  /** Once, at an ISO 8601 date-time. */
  at?: string;
  target?: Target;
  /** Run over SSH on these servers (names or ids), one execution per server; sets the target to `ssh`. */
  servers?: string[];
  overlap?: OverlapPolicy;
  catchUp?: CatchUpPolicy;
  catchUpWindowMs?: number;
  maxRuns?: number;
  /** Retries of a failed run: this many more attempts, as executions of the same job. */
  retries?: number;
  /** The first retry's wait, doubled for each next one, with ±50% jitter; default 10 s. */
  retryBackoffMs?: number;
  /** Which outcomes are retried; default failed and timed_out. */
  retryOn?: ('failed' | 'timed_out' | 'cancelled')[];
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  /** Container runs: allow network egress (default off), limits and image, as `jobs/run` takes them. */
  network?: boolean;
  limits?: { memoryMb?: number; cpus?: number; pids?: number };
  image?: string;
  /** `draft` to save it without scheduling it; default `active`. */
  status?: 'active' | 'draft';
}

/** Params of {@link UpdateEventRequest}: the event, and the fields to change. */
export interface UpdateEventParams extends Partial<Omit<CreateEventParams, 'status'>> {
  event: string;
  /** Drop the schedule: the event runs only when asked. */
  manual?: boolean;
  status?: EventStatus;
}

/** An event by id or by name. */
export interface EventRefParams {
  event: string;
}

export const CreateEventRequest = new RequestType<CreateEventParams, { event: EventDto }, ErrorData>('events/create');
export const ListEventsRequest = new RequestType<Record<string, never>, { events: EventDto[] }, ErrorData>('events/list');
export const GetEventRequest = new RequestType<EventRefParams, { event: EventDto }, ErrorData>('events/get');
export const UpdateEventRequest = new RequestType<UpdateEventParams, { event: EventDto }, ErrorData>('events/update');
export const DeleteEventRequest = new RequestType<EventRefParams, { deleted: true }, ErrorData>('events/delete');
/** Runs the event now, whatever its schedule (a paused event too). */
export const RunEventRequest = new RequestType<EventRefParams, { job: JobDto }, ErrorData>('events/run');
export const PauseEventRequest = new RequestType<EventRefParams, { event: EventDto }, ErrorData>('events/pause');
/** Makes a paused or draft event active; slots missed while it was paused are not run. */
export const ResumeEventRequest = new RequestType<EventRefParams, { event: EventDto }, ErrorData>('events/resume');
/** Sets the run count back to 0 (and resumes an event that max runs paused). */
export const ResetEventRequest = new RequestType<EventRefParams, { event: EventDto }, ErrorData>('events/reset');
export const EventHistoryRequest = new RequestType<EventRefParams & { limit?: number }, { jobs: JobDto[] }, ErrorData>('events/history');

/** Params of {@link PreviewScheduleRequest}: a schedule as `events/create` takes it. */
export interface PreviewScheduleParams {
  cron?: string;
  timezone?: string;
  every?: string;
  at?: string;
}

export interface PreviewScheduleResult {
  scheduleText: string;
  /** The next 5 fire times (ISO). */
  nextRuns: string[];
  /** One of them falls next to a DST change of the zone (a skipped or repeated hour). */
  dstWarning: boolean;
}

/** What a schedule would do, without saving anything: the editor's live preview. Errors name the field. */
export const PreviewScheduleRequest = new RequestType<PreviewScheduleParams, PreviewScheduleResult, ErrorData>('events/previewSchedule');

/** An event was created, changed or deleted (`deleted` true). Sent to connections that watch jobs. */
export const EventChangedNotification = new NotificationType<{ event: EventDto; deleted?: boolean }>('events/didChange');
