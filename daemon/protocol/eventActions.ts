import { RequestType } from 'vscode-jsonrpc';
import type { ErrorData } from './errors';

/**
 * When an action of an event runs, once a job of the event has ended:
 * `success` the job succeeded; `failure` it failed, timed out, was cancelled or partly failed;
 * `always` either way; `condition` its script called `setCondition(true)` (whatever its status).
 */
export const ACTION_TRIGGERS = ['success', 'failure', 'always', 'condition'] as const;
/** One of {@link ACTION_TRIGGERS}. */
export type ActionTrigger = (typeof ACTION_TRIGGERS)[number];

/**
 * What an action does: `run` another event with this job's output as its input; or send a message:
 * `webhook` (a JSON POST), `slack` and `discord` (their incoming-webhook URLs), `email` (over the SMTP
 * server of the daemon's `CRONIUM_SMTP_URL`).
 */
export const ACTION_KINDS = ['run', 'webhook', 'slack', 'discord', 'email'] as const;
/** One of {@link ACTION_KINDS}. */
export type ActionKind = (typeof ACTION_KINDS)[number];

/** What came of one action for one job. Times are ISO 8601. */
export interface ActionResultDto {
  jobId: string;
  actionId: string;
  kind: ActionKind;
  trigger: ActionTrigger;
  status: 'ok' | 'failed';
  /** `HTTP 200`, `sent to a@b.c`, the chained job, or why it failed (secrets masked). */
  detail: string;
  /** The job a `run` action made, if it made one. */
  chainedJobId: string | null;
  at: string;
}

/** An action of an event, as clients see it: its target is shown without secrets. */
export interface ActionDto {
  id: string;
  eventId: string;
  trigger: ActionTrigger;
  kind: ActionKind;
  /** The event it runs (by name), the URL's origin (`https://hooks.slack.com/…`), or the address. */
  target: string;
  /** The mustache template of the message, or null for the kind's default. */
  template: string | null;
  /** The subject template of an email, or null for the default. */
  subject: string | null;
  /** A webhook whose body is signed (`X-Cronium-Signature: sha256=<hex HMAC>`). */
  signed: boolean;
  createdAt: string;
  /** What came of it the last time it ran, if it ran. */
  lastResult: ActionResultDto | null;
}

/**
 * Params of {@link AddActionRequest}: exactly one of `run`, `webhook`, `slack`, `discord`, `email`.
 * Templates are mustache over `{event, job, output, variables, trigger}` (secret variables included:
 * they reach the message, never a log).
 */
export interface AddActionParams {
  /** The event whose jobs trigger it, by id or name. */
  event: string;
  trigger: ActionTrigger;
  /** Another event (id or name) to run with this job's output as its input. */
  run?: string;
  /** An http(s) URL that receives a JSON POST. */
  webhook?: string;
  /** A Slack incoming-webhook URL. */
  slack?: string;
  /** A Discord webhook URL. */
  discord?: string;
  /** An email address. */
  email?: string;
  template?: string;
  /** Email only: the subject's template. */
  subject?: string;
  /** Webhook only: the key of the body's HMAC-SHA256 signature. */
  hmacSecret?: string;
}

/** The result of {@link AddActionRequest}; `notice` says what it still needs (e.g. no SMTP server set). */
export interface AddActionResult {
  action: ActionDto;
  notice?: string;
}

/** Adds an action to an event. A bad target is refused with `invalid_params` naming the field. */
export const AddActionRequest = new RequestType<AddActionParams, AddActionResult, ErrorData>('events/addAction');
/** The actions of an event, oldest first, each with its last result. */
export const ListActionsRequest = new RequestType<{ event: string }, { actions: ActionDto[] }, ErrorData>('events/listActions');
/** Removes an action of an event; what it did for earlier jobs stays on them. */
export const RemoveActionRequest = new RequestType<{ event: string; action: string }, { removed: true }, ErrorData>('events/removeAction');
/**
 * What the actions of a job's event did for that job, oldest first. Action results are reached by the
 * job (this request) rather than inside `events/history`, so a job's view needs no event.
 */
export const JobActionsRequest = new RequestType<{ id: string }, { results: ActionResultDto[] }, ErrorData>('jobs/actions');
