import Mustache from 'mustache';

/** The job of a view: what a message may tell about it (never its script or environment). */
export interface JobView {
  id: string;
  name: string;
  status: string;
  source: string;
  exitCode: number | null;
  signal: string | null;
  lastError: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  condition: boolean | null;
}

/** What a template is rendered over. */
export interface TemplateView {
  event: { id: string; name: string; type: string; description: string; tags: string[] };
  job: JobView;
  /** What the job sent with `cronium.output()`, or null. `{{output}}` prints an object as JSON. */
  output: unknown;
  /** Every variable by key, secret ones included: they reach the message sent, never a log. */
  variables: Record<string, unknown>;
  /** Why the action ran: success, failure, always or condition. */
  trigger: string;
}

/** The message of an action that has no template of its own. */
export const DEFAULT_MESSAGE =
  'Cronium: {{event.name}} {{job.status}}{{#job.exitCode}} (exit {{job.exitCode}}){{/job.exitCode}}, job {{job.id}}' +
  '{{#job.lastError}}: {{job.lastError}}{{/job.lastError}}';
/** The subject of an email action that has none of its own. */
export const DEFAULT_SUBJECT = 'Cronium: {{event.name}} {{job.status}}';

/** Why a template cannot be used, in words, or undefined when it parses. */
export function templateProblem(template: string): string | undefined {
  try {
    Mustache.parse(template);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** A value as text: strings as they are, objects and arrays as JSON (mustache would print `[object Object]`). */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);

/**
 * Renders a mustache template. Plain text (webhook, Slack, Discord, an email's text part and subject)
 * is not HTML-escaped: `{{job.lastError}}` shows `a < b` as it is. `html` escapes, for an email's HTML part.
 */
export function renderTemplate(template: string, view: TemplateView, options: { html: boolean } = { html: false }): string {
  const escape = options.html ? (value: unknown) => escapeHtml(asText(value)) : asText;
  return Mustache.render(template, view, undefined, { escape });
}
