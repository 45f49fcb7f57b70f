import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { hostname } from 'node:os';

/** Every outbound request of an action gives up after this long. */
export const SEND_TIMEOUT_MS = 10_000;
/** Discord refuses longer contents. */
const DISCORD_MAX_CHARS = 2000;
/** How much of a refusing server's answer is kept on the job. */
const ANSWER_SHOWN_CHARS = 300;

/** The header that carries a webhook body's signature. */
export const SIGNATURE_HEADER = 'X-Cronium-Signature';

/** Why a notification was not delivered. */
export type SendFailure = 'refused' | 'unreachable' | 'timeout' | 'not_configured';

/** A notification that did not arrive; the message says why, in words (it is redacted before it is kept). */
export class SendError extends Error {
  constructor(
    readonly reason: SendFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SendError';
  }

  static is(e: unknown): e is SendError {
    return e instanceof SendError;
  }
}

/** `sha256=<hex HMAC-SHA256 of the body>`: what the receiver recomputes with the shared key to trust a body. */
export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The URL without its path, query or credentials: what a listing or an error may show of it. */
export function shownUrl(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname === '/' && parsed.search === '' ? parsed.origin : `${parsed.origin}/…`;
}

function describeFetchError(e: unknown, url: string): SendError {
  const where = new URL(url).host;
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return new SendError('timeout', `${where} did not answer within ${SEND_TIMEOUT_MS / 1000} s`);
  }
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : e instanceof Error ? e.message : String(e);
  return new SendError('unreachable', `cannot reach ${where}: ${cause}`);
}

/** POSTs `body` as JSON; resolves with `HTTP <status>` for a 2xx answer, else throws a {@link SendError}. */
export async function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'cronium', ...headers },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
  } catch (e) {
    throw describeFetchError(e, url);
  }
  let answer = '';
  try {
    answer = (await response.text()).slice(0, ANSWER_SHOWN_CHARS).trim();
  } catch {
    // the status says enough
  }
  if (!response.ok) {
    throw new SendError('refused', `${new URL(url).host} answered HTTP ${response.status}${answer ? `: ${answer}` : ''}`);
  }
  return `HTTP ${response.status}`;
}

/** A webhook: the payload as JSON, signed when there is a key. */
export function sendWebhook(url: string, payload: unknown, hmacSecret: string | undefined): Promise<string> {
  const body = JSON.stringify(payload);
  return postJson(url, body, hmacSecret === undefined ? {} : { [SIGNATURE_HEADER]: signature(body, hmacSecret) });
}

/** A Slack incoming webhook takes `{text}`. */
export function sendSlack(url: string, text: string): Promise<string> {
  return postJson(url, JSON.stringify({ text }));
}

/** A Discord webhook takes `{content}`, at most 2000 characters. */
export function sendDiscord(url: string, text: string): Promise<string> {
  const content = text.length > DISCORD_MAX_CHARS ? `${text.slice(0, DISCORD_MAX_CHARS - 1)}…` : text;
  return postJson(url, JSON.stringify({ content }));
}

/** An email to send. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Email through one SMTP server, given by the daemon's environment: `CRONIUM_SMTP_URL`
 * (`smtp://user:password@host:587`, or `smtps://…:465` for TLS from the start) and `CRONIUM_SMTP_FROM`
 * (default `cronium@<this host>`). Read when the daemon starts; the password is masked in what is kept.
 */
export class Mailer {
  readonly from: string;

  constructor(
    private readonly url: string | undefined,
    from: string | undefined,
  ) {
    this.from = from || `cronium@${hostname()}`;
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): Mailer {
    return new Mailer(env.CRONIUM_SMTP_URL || undefined, env.CRONIUM_SMTP_FROM);
  }

  get configured(): boolean {
    return this.url !== undefined;
  }

  /** The password of the SMTP URL, which no log or error may show. */
  get secrets(): string[] {
    if (this.url === undefined) return [];
    try {
      const { password } = new URL(this.url);
      return password ? [password, decodeURIComponent(password)] : [];
    } catch {
      return [];
    }
  }

  /** Sends it; resolves with `sent to ADDRESS (<server's answer>)`, else throws a {@link SendError}. */
  async send(mail: Mail): Promise<string> {
    if (this.url === undefined) {
      throw new SendError('not_configured', 'no SMTP server: set CRONIUM_SMTP_URL (e.g. smtp://user:password@mail.example.com:587) in the daemon\'s environment and restart it');
    }
    // Loaded on the first email: most daemons never send one, and every daemon would pay for it at start.
    const { createTransport } = loadMailer();
    const transport = createTransport({
      url: this.url,
      connectionTimeout: SEND_TIMEOUT_MS,
      greetingTimeout: SEND_TIMEOUT_MS,
      socketTimeout: SEND_TIMEOUT_MS,
    });
    try {
      const info = await transport.sendMail({ from: this.from, ...mail });
      return `sent to ${mail.to}${info.response ? ` (${info.response})` : ''}`;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
      const reason: SendFailure = code === 'ETIMEDOUT' ? 'timeout' : code === 'ECONNECTION' || code === 'ESOCKET' ? 'unreachable' : 'refused';
      throw new SendError(reason, `SMTP: ${message}`);
    } finally {
      transport.close();
    }
  }
}

type MailerModule = typeof import('./mailerBundle');

/** dist/mailer.js next to the daemon bundle; under tsx (tests) the TypeScript module. */
function loadMailer(): MailerModule {
  const bundled = join(__dirname, 'mailer.js');
  const path = existsSync(bundled) ? bundled : join(__dirname, 'mailerBundle');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path esbuild must not inline
  return require(path) as MailerModule;
}
