import { randomBytes } from 'node:crypto';
import { CroniumError, coerceError } from '../errors';
import type { Logger } from '../logger';
import { ScopedRedactor, type Redactor } from '../logs/redactor';
import type { JobStatus } from '../protocol/dto';
import { ErrorCodes } from '../protocol/errors';
import {
  ACTION_KINDS,
  type ActionDto,
  type ActionKind,
  type ActionResultDto,
  type ActionTrigger,
  type AddActionParams,
  type AddActionResult,
} from '../protocol/eventActions';
import { primaryExecution } from '../queue/jobDto';
import type { JobQueue } from '../queue/jobQueue';
import type { SecretBox } from '../secrets/secretBox';
import type { ActionRecord, ActionResultRecord, ActionStore } from '../store/actionStore';
import type { EventRecord } from '../store/eventStore';
import type { ExecutionRecord } from '../store/executionRecord';
import type { JobRecord } from '../store/jobStore';
import type { Variables } from '../variables';
import { invalidField, type Events } from './events';
import { sendDiscord, sendSlack, sendWebhook, shownUrl, type Mailer } from './notifiers';
import { DEFAULT_MESSAGE, DEFAULT_SUBJECT, renderTemplate, templateProblem, type TemplateView } from './templates';

/** A chain of `run` actions deeper than this stops: event A running A on `always` would never end. */
export const MAX_CHAIN_DEPTH = 10;
/** At shutdown, actions still under way get this long before they are recorded as cut short. */
const DRAIN_MS = 5000;
const METHOD = 'events/addAction';
const TEMPLATE_MAX = 64 * 1024;

/** True when an action on `trigger` runs for a job that ended with `status` and set `condition`. */
export function fires(trigger: ActionTrigger, status: JobStatus, condition: boolean | null): boolean {
  switch (trigger) {
    case 'success':
      return status === 'succeeded';
    case 'failure':
      return status !== 'succeeded';
    case 'always':
      return true;
    case 'condition':
      return condition === true;
  }
}

function newActionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = 'act_';
  for (const b of randomBytes(12)) id += alphabet[b % alphabet.length];
  return id;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function resultDto(result: ActionResultRecord): ActionResultDto {
  return { ...result, at: new Date(result.at).toISOString() };
}

/** An action that could not do its work; the message is what the job keeps (after redaction). */
class ActionError extends Error {
  readonly kind = 'action_failed';
}

export interface EventActionsDeps {
  store: ActionStore;
  events: Events;
  queue: JobQueue;
  variables: Variables;
  secrets: SecretBox;
  /** Masks secret variables; each action adds its own secrets (URLs, keys, the SMTP password). */
  redactor: Redactor;
  mailer: Mailer;
  logger: Logger;
  now: () => number;
}

/** What one action needs of the job that triggered it. */
interface Firing {
  job: JobRecord;
  event: EventRecord;
  view: Omit<TemplateView, 'trigger'>;
  output: unknown;
  depth: number;
}

/**
 * Conditional actions of events: stored here, decided and run when a job of their event ends. Every
 * action that runs leaves a result on the job, `ok` or `failed` with the reason (secrets masked), and a
 * line in the daemon log; nothing it does can throw into the job's end.
 */
export class EventActions {
  /** How deep in a chain of `run` actions each job made by one is, until it ends. */
  private readonly depths = new Map<string, number>();
  /** Actions under way, each with the way to record it cut short. */
  private readonly pending = new Map<Promise<void>, () => void>();

  constructor(private readonly deps: EventActionsDeps) {}

  add(params: AddActionParams): AddActionResult {
    const event = this.deps.events.find(params.event);
    const given = ACTION_KINDS.filter((kind) => params[kind] !== undefined);
    if (given.length !== 1) {
      throw invalidField(METHOD, given[1] ?? 'run', `give exactly one of ${ACTION_KINDS.join(', ')}`);
    }
    const kind = given[0];
    const target = params[kind] as string;
    let shown: string;
    let sealedTarget = target;
    if (kind === 'run') {
      const chained = this.findEvent(target);
      if (chained === undefined) throw invalidField(METHOD, 'run', `no event named ${target}`);
      sealedTarget = chained.id;
      shown = chained.id;
    } else if (kind === 'email') {
      if (!/^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/.test(target)) throw invalidField(METHOD, 'email', `${target} is not an email address`);
      shown = target;
    } else {
      shown = this.checkUrl(kind, target);
    }
    if (params.subject !== undefined && kind !== 'email') throw invalidField(METHOD, 'subject', 'only an email action has a subject');
    if (params.hmacSecret !== undefined && kind !== 'webhook') throw invalidField(METHOD, 'hmacSecret', 'only a webhook is signed');
    if (params.hmacSecret !== undefined && params.hmacSecret.length < 8) throw invalidField(METHOD, 'hmacSecret', 'use a key of at least 8 characters');
    for (const field of ['template', 'subject'] as const) {
      const text = params[field];
      if (text === undefined) continue;
      if (text.length > TEMPLATE_MAX) throw invalidField(METHOD, field, 'is limited to 64 KiB');
      const problem = templateProblem(text);
      if (problem !== undefined) throw invalidField(METHOD, field, `is not a mustache template: ${problem}`);
    }
    const action: ActionRecord = {
      id: newActionId(),
      eventId: event.id,
      trigger: params.trigger,
      kind,
      targetSealed: this.deps.secrets.seal(sealedTarget),
      targetShown: shown,
      template: params.template ?? null,
      options: {
        ...(params.subject === undefined ? {} : { subject: params.subject }),
        ...(params.hmacSecret === undefined ? {} : { hmacSealed: this.deps.secrets.seal(params.hmacSecret) }),
      },
      createdAt: this.deps.now(),
    };
    this.deps.store.insert(action);
    const notice =
      kind === 'email' && !this.deps.mailer.configured
        ? "The daemon has no SMTP server, so this email will fail until you set CRONIUM_SMTP_URL (e.g. smtp://user:password@mail.example.com:587) in the daemon's environment and restart it"
        : undefined;
    return notice === undefined ? { action: this.dto(action) } : { action: this.dto(action), notice };
  }

  list(eventRef: string): ActionDto[] {
    const event = this.deps.events.find(eventRef);
    return this.deps.store.ofEvent(event.id).map((a) => this.dto(a));
  }

  remove(eventRef: string, actionId: string): void {
    const event = this.deps.events.find(eventRef);
    if (!this.deps.store.delete(event.id, actionId)) {
      throw new CroniumError(ErrorCodes.InvalidParams, 'invalid_params', `Invalid params for events/removeAction: action: event ${event.name} has no action ${actionId}`, {
        issues: [{ path: 'action', message: `event ${event.name} has no action ${actionId}` }],
      });
    }
  }

  /** What the actions did for a job, oldest first. */
  results(jobId: string): ActionResultDto[] {
    return this.deps.store.resultsOf(jobId).map(resultDto);
  }

  /** A job ended: starts the actions of its event that its outcome triggers. Never throws. */
  jobFinished(job: JobRecord, executions: () => ExecutionRecord[]): void {
    const depth = this.depths.get(job.id) ?? 0;
    this.depths.delete(job.id);
    if (job.eventId === null) return;
    try {
      const actions = this.deps.store.ofEvent(job.eventId);
      if (actions.length === 0) return;
      const primary = primaryExecution(executions());
      const condition = primary?.condition ?? null;
      const due = actions.filter((a) => fires(a.trigger, job.status, condition));
      if (due.length === 0) return;
      const event = this.deps.events.find(job.eventId);
      const output = primary?.output ?? null;
      const firing: Firing = { job, event, output, depth, view: this.view(event, job, primary, output) };
      for (const action of due) this.start(action, firing);
    } catch (e) {
      this.deps.logger.error(`the actions of job ${job.id} could not start: ${this.deps.redactor.text(coerceError(e).message)}`);
    }
  }

  /**
   * At shutdown (after the queue stopped its jobs, whose ends may trigger actions): waits a little for
   * actions under way, then records those still going as cut short.
   */
  async drain(ms = DRAIN_MS): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.pending.keys()]), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    for (const abandon of this.pending.values()) abandon();
    this.pending.clear();
  }

  private start(action: ActionRecord, firing: Firing): void {
    const redact = new ScopedRedactor(this.deps.redactor);
    let settled = false;
    const settle = (status: 'ok' | 'failed', detail: string, chainedJobId: string | null = null): void => {
      if (settled) return;
      settled = true;
      const shown = redact.text(detail);
      const what = `action ${action.id} (${action.kind} on ${action.trigger}) of event ${firing.event.name} for job ${firing.job.id}`;
      if (status === 'ok') this.deps.logger.info(`${what}: ${shown}`);
      else this.deps.logger.warn(`${what} failed: ${shown}`);
      try {
        this.deps.store.recordResult({
          jobId: firing.job.id,
          actionId: action.id,
          kind: action.kind,
          trigger: action.trigger,
          status,
          detail: shown,
          chainedJobId,
          at: this.deps.now(),
        });
      } catch (e) {
        this.deps.logger.error(`${what}: its result could not be stored: ${coerceError(e).message}`);
      }
    };
    const work = (async () => {
      try {
        const { detail, chainedJobId } = await this.perform(action, firing, redact);
        settle('ok', detail, chainedJobId);
      } catch (e) {
        settle('failed', coerceError(e).message);
      }
    })();
    this.pending.set(work, () => settle('failed', 'the daemon stopped before the action finished'));
    void work.finally(() => this.pending.delete(work));
  }

  private async perform(action: ActionRecord, firing: Firing, redact: ScopedRedactor): Promise<{ detail: string; chainedJobId: string | null }> {
    const target = this.deps.secrets.open(action.targetSealed);
    const hmac = action.options.hmacSealed === undefined ? undefined : this.deps.secrets.open(action.options.hmacSealed);
    // One call: each add() replaces what the scoped redactor masked before.
    redact.add([
      ...(action.kind === 'run' || action.kind === 'email' ? [] : urlSecrets(target)),
      ...(hmac === undefined ? [] : [hmac]),
      ...(action.kind === 'email' ? this.deps.mailer.secrets : []),
    ]);
    const view: TemplateView = { ...firing.view, trigger: action.trigger };
    const message = (): string => renderTemplate(action.template ?? DEFAULT_MESSAGE, view);
    switch (action.kind) {
      case 'run':
        return this.chain(target, firing);
      case 'webhook': {
        const payload = { event: view.event, job: view.job, trigger: action.trigger, output: firing.output, text: message() };
        return { detail: await sendWebhook(target, payload, hmac), chainedJobId: null };
      }
      case 'slack':
        return { detail: await sendSlack(target, message()), chainedJobId: null };
      case 'discord':
        return { detail: await sendDiscord(target, message()), chainedJobId: null };
      case 'email': {
        const template = action.template ?? DEFAULT_MESSAGE;
        const mail = {
          to: target,
          subject: renderTemplate(action.options.subject ?? DEFAULT_SUBJECT, view).replace(/\s*\n\s*/g, ' '),
          text: renderTemplate(template, view),
          html: `<pre style="font-family: inherit; white-space: pre-wrap">${renderTemplate(template, view, { html: true })}</pre>`,
        };
        return { detail: await this.deps.mailer.send(mail), chainedJobId: null };
      }
    }
  }

  /** Runs the chained event with this job's output as its input. */
  private async chain(eventId: string, firing: Firing): Promise<{ detail: string; chainedJobId: string }> {
    if (firing.depth >= MAX_CHAIN_DEPTH) {
      throw new ActionError(`not run: this job is ${firing.depth} actions deep in a chain of runs (at most ${MAX_CHAIN_DEPTH}; a loop?)`);
    }
    const chained = this.findEvent(eventId);
    if (chained === undefined) throw new ActionError(`the event to run (${eventId}) no longer exists`);
    const request = this.deps.events.request(chained, 'action', firing.job.finishedAt, { CRONIUM_PARENT_JOB_ID: firing.job.id }, firing.output);
    const job = await this.deps.queue.submit(request, (queued) => this.depths.set(queued.id, firing.depth + 1));
    return { detail: `ran ${chained.name} as job ${job.id}`, chainedJobId: job.id };
  }

  private view(event: EventRecord, job: JobRecord, primary: ExecutionRecord | undefined, output: unknown): Omit<TemplateView, 'trigger'> {
    const variables: Record<string, unknown> = {};
    for (const { key } of this.deps.variables.list()) variables[key] = this.deps.variables.get(key);
    return {
      event: { id: event.id, name: event.name, type: event.type, description: event.description, tags: event.tags },
      job: {
        id: job.id,
        name: job.name,
        status: job.status,
        source: job.source,
        exitCode: primary?.exitCode ?? null,
        signal: primary?.signal ?? null,
        lastError: primary?.lastError ?? null,
        startedAt: iso(job.startedAt),
        finishedAt: iso(job.finishedAt),
        durationMs: job.startedAt !== null && job.finishedAt !== null ? job.finishedAt - job.startedAt : null,
        condition: primary?.condition ?? null,
      },
      output,
      variables,
    };
  }

  private findEvent(ref: string): EventRecord | undefined {
    try {
      return this.deps.events.find(ref);
    } catch (e) {
      if (CroniumError.is(e) && e.kind === 'event_not_found') return undefined;
      throw e;
    }
  }

  private checkUrl(kind: Exclude<ActionKind, 'run' | 'email'>, url: string): string {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalidField(METHOD, kind, `${url.length > 80 ? 'the URL' : url} is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalidField(METHOD, kind, 'must be an http:// or https:// URL');
    return shownUrl(url);
  }

  private dto(action: ActionRecord): ActionDto {
    let target = action.targetShown;
    if (action.kind === 'run') target = this.findEvent(action.targetShown)?.name ?? `${action.targetShown} (deleted)`;
    const last = this.deps.store.lastResult(action.id);
    return {
      id: action.id,
      eventId: action.eventId,
      trigger: action.trigger,
      kind: action.kind,
      target,
      template: action.template,
      subject: action.options.subject ?? null,
      signed: action.options.hmacSealed !== undefined,
      createdAt: new Date(action.createdAt).toISOString(),
      lastResult: last === undefined ? null : resultDto(last),
    };
  }
}

/** The parts of a notification URL that give access: the whole URL, its path with query, its password. */
function urlSecrets(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [url, `${parsed.pathname}${parsed.search}`, parsed.password].filter((s) => s.length > 1);
  } catch {
    return [url];
  }
}
