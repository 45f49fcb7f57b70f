import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { coerceError, CroniumError } from '../errors';
import type { Logger } from '../logger';
import type { WorkflowDocument } from '../protocol/workflows';
import type { RunRecord, WorkflowRecord } from '../store/workflowStore';

/** The headers of a signed delivery. */
export const SIGNATURE_HEADER = 'x-cronium-signature';
export const TIMESTAMP_HEADER = 'x-cronium-timestamp';
/** A delivery signed longer ago (or ahead) than this is stale. */
export const WEBHOOK_TOLERANCE_MS = 5 * 60 * 1000;
const MAX_BODY_BYTES = 1024 * 1024;
const ROUTE = /^\/hooks\/workflows\/([A-Za-z0-9_-]{8,64})$/;

/** `sha256=` and the hex HMAC-SHA256 of `TIMESTAMP.BODY` under the secret: what a sender puts in X-Cronium-Signature. */
export function webhookSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks a delivery: a signature and a timestamp (Unix seconds) are there, the timestamp is within the
 * tolerance of `now`, and the signature is that of timestamp and body under the secret. Pure; the
 * replay check (a signature seen before) is the caller's, against the store.
 */
export function verifyWebhook(delivery: { secret: string; body: Buffer; signature: string | undefined; timestamp: string | undefined; now: number }): Verdict {
  const { signature, timestamp } = delivery;
  if (signature === undefined || signature === '') return { ok: false, reason: `missing ${SIGNATURE_HEADER}` };
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `missing or malformed ${TIMESTAMP_HEADER} (Unix seconds)` };
  if (Math.abs(delivery.now - Number(timestamp) * 1000) > WEBHOOK_TOLERANCE_MS) return { ok: false, reason: 'stale timestamp (more than 5 minutes off)' };
  const expected = Buffer.from(webhookSignature(delivery.secret, timestamp, delivery.body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
  return { ok: true };
}

export interface WebhookDeps {
  /** Where to listen (settings `webhookHost`, `webhookPort`; port 0: any free port). */
  address: () => { host: string; port: number };
  /** Registered workflows (their last valid versions). */
  workflows: () => WorkflowRecord[];
  /** The value of a (secret) variable, undefined when unset. */
  variable: (key: string) => unknown;
  /** Records a delivery's signature; false when it was seen before. */
  remember: (signature: string, workflowId: string, now: number) => boolean;
  run: (workflow: WorkflowRecord, input: unknown) => RunRecord;
  logger: Logger;
  now?: () => number;
}

/**
 * The webhook triggers of workflows: `POST /hooks/workflows/{key}` on a local HTTP listener. A good
 * signature starts a run with the body (JSON) as its input; a bad, missing, stale or replayed one gets
 * 401 and starts nothing. The listener is open only while some workflow has a webhook trigger.
 */
export class WebhookListener {
  private server: Server | undefined;
  private bound: { host: string; port: number } | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly deps: WebhookDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The URL of a key, while the listener is open. */
  url(key: string): string | null {
    return this.bound === undefined ? null : `http://${this.bound.host}:${this.bound.port}/hooks/workflows/${key}`;
  }

  /** Opens, moves or closes the listener after a change of workflows or settings. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.apply()).catch((e: unknown) => this.deps.logger.warn(`webhook listener: ${coerceError(e).message}`));
    return this.syncing;
  }

  async close(): Promise<void> {
    await this.syncing;
    await this.stop();
  }

  private async apply(): Promise<void> {
    const wanted = this.deps.workflows().some((w) => (w.document as WorkflowDocument).triggers?.webhook !== undefined);
    const address = this.deps.address();
    const same = this.server !== undefined && this.bound?.host === address.host && (address.port === 0 || this.bound.port === address.port);
    if (wanted && same) return;
    await this.stop();
    if (!wanted) return;
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: unknown) => {
      throw new Error(`cannot listen on ${address.host}:${address.port}: ${coerceError(e).message}; set another webhookPort`);
    });
    this.server = server;
    this.bound = { host: address.host, port: (server.address() as { port: number }).port };
    this.deps.logger.info(`webhooks: listening on http://${this.bound.host}:${this.bound.port}/hooks/workflows/`);
  }

  private async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.bound = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const answer = (status: number, body: Record<string, unknown>) => {
      if (res.writableEnded) return;
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify(body));
    };
    const key = ROUTE.exec((req.url ?? '').split('?')[0])?.[1];
    if (key === undefined) return answer(404, { error: 'not_found', message: 'POST /hooks/workflows/{key}' });
    if (req.method !== 'POST') return answer(405, { error: 'method_not_allowed', message: 'use POST' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        answer(413, { error: 'too_large', message: 'bodies are limited to 1 MiB' });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.writableEnded) return;
      const body = Buffer.concat(chunks);
      const header = (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const workflow = this.deps.workflows().find((w) => (w.document as WorkflowDocument).triggers?.webhook?.key === key);
      const trigger = workflow === undefined ? undefined : (workflow.document as WorkflowDocument).triggers?.webhook;
      if (workflow === undefined || trigger === undefined) return answer(404, { error: 'not_found', message: `no workflow has the webhook key ${key}` });
      const secret = this.deps.variable(trigger.secretVariable);
      if (typeof secret !== 'string' || secret.length === 0) {
        this.deps.logger.warn(`webhook ${key} of ${workflow.name}: variable ${trigger.secretVariable} is not set; refusing every delivery`);
        return answer(401, { error: 'unauthorized', message: 'the webhook has no secret yet' });
      }
      const now = this.now();
      const signature = header(SIGNATURE_HEADER);
      const verdict = verifyWebhook({ secret, body, signature, timestamp: header(TIMESTAMP_HEADER), now });
      if (!verdict.ok) return answer(401, { error: 'unauthorized', message: verdict.reason });
      let input: unknown;
      try {
        input = body.length === 0 ? undefined : (JSON.parse(body.toString('utf8')) as unknown);
      } catch {
        return answer(400, { error: 'bad_request', message: 'the body is not JSON' });
      }
      // Recorded only once it is known good: a forged delivery must not spend a signature.
      if (!this.deps.remember(signature as string, workflow.id, now)) return answer(401, { error: 'unauthorized', message: 'replayed delivery' });
      try {
        const run = this.deps.run(workflow, input);
        answer(202, { runId: run.id, workflow: workflow.name });
      } catch (e) {
        const kind = CroniumError.is(e) ? e.kind : 'internal';
        answer(kind === 'workflow_busy' ? 409 : kind === 'workflow_invalid' ? 422 : 500, { error: kind, message: coerceError(e).message });
      }
    });
  }
}
