import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SMTPServer } from 'smtp-server';
import { ResponseError } from 'vscode-jsonrpc';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import type { JobDto } from '../../daemon/protocol/dto';
import type { ErrorData } from '../../daemon/protocol/errors';
import {
  AddActionRequest,
  JobActionsRequest,
  ListActionsRequest,
  type ActionResultDto,
  type AddActionParams,
} from '../../daemon/protocol/eventActions';
import { CreateEventRequest, RunEventRequest, type CreateEventParams } from '../../daemon/protocol/events';
import { SetVariableRequest } from '../../daemon/protocol/variables';
import { cronium } from '../helpers/cli';
import { DaemonProcess, getJob } from '../helpers/daemonProcess';
import { databaseContains, makeTempHome, removeHome } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local HTTP server that records every request and answers each with `status` (echoing the body when it is not 2xx). */
async function receiver(status = 200): Promise<{ server: Server; url: (path: string) => string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `cannot take ${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: (path) => `http://127.0.0.1:${port}${path}`, received };
}

/** A port that nothing listens on: one a server had a moment ago. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Quoted-printable soft breaks and escapes undone, so a test can read a mail's text. */
const unQuote = (raw: string): string => raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

async function refusal(promise: Promise<unknown>): Promise<ResponseError<ErrorData>> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof ResponseError) return e as ResponseError<ErrorData>;
    throw e;
  }
  assert.fail('the request was accepted');
}

const SMTP_PASSWORD = 'smtp-pass-9f8e7d';
const SECRET_TOKEN = 'tok-SECRET-4242';

describe('conditional actions of events (real daemon, local HTTP and SMTP servers)', function () {
  this.timeout(60_000);
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;
  let smtp: SMTPServer;
  const mails: { from: string; to: string[]; raw: string }[] = [];

  before(async () => {
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'cronium' && auth.password === SMTP_PASSWORD) callback(null, { user: 'cronium' });
        else callback(new Error('Invalid username or password'));
      },
      onRcptTo(address, _session, callback) {
        if (address.address.endsWith('@refused.test')) callback(Object.assign(new Error('5.1.1 no such mailbox here'), { responseCode: 550 }));
        else callback();
      },
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
        stream.on('end', () => {
          const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
          mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const { port } = smtp.server.address() as AddressInfo;
    home = makeTempHome();
    daemon = await DaemonProcess.start(home, {
      CRONIUM_SMTP_URL: `smtp://cronium:${SMTP_PASSWORD}@127.0.0.1:${port}`,
      CRONIUM_SMTP_FROM: 'cronium@test.local',
    });
    client = await daemon.connect();
    await client.request(SetVariableRequest, { key: 'apiToken', value: SECRET_TOKEN, secret: true });
  });
  after(async () => {
    client?.close();
    if (daemon?.running) await daemon.stop();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    if (home) removeHome(home);
  });

  const create = async (name: string, script: string, extra: Partial<CreateEventParams> = {}): Promise<string> =>
    (await client.request(CreateEventRequest, { name, script, runtime: 'node', target: 'local', ...extra })).event.id;
  const on = async (params: AddActionParams): Promise<string> => (await client.request(AddActionRequest, params)).action.id;
  const run = async (event: string): Promise<JobDto> => (await client.request(RunEventRequest, { event })).job;
  const results = async (jobId: string, count: number): Promise<ActionResultDto[]> =>
    waitFor(`${count} action results of ${jobId}`, async () => {
      const { results: list } = await client.request(JobActionsRequest, { id: jobId });
      return list.length >= count && list;
    });
  const ended = (jobId: string): Promise<JobDto> =>
    waitFor(`job ${jobId} to end`, async () => {
      const job = await getJob(client, jobId);
      return ['succeeded', 'failed', 'cancelled', 'timed_out', 'partial'].includes(job.status) && job;
    });
  const daemonLog = (): string => readFileSync(join(home, 'logs', 'daemon.log'), 'utf8');
  const storedActions = (): number => {
    const db = new Database(join(home, 'cronium.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM event_actions').get()?.n ?? -1;
    } finally {
      db.close();
    }
  };

  it('refuses a bad action with an error naming the field, and stores nothing', async () => {
    await create('validated', 'console.log(1)');
    const before = storedActions();
    const cases: [Partial<AddActionParams>, string, RegExp][] = [
      [{ run: 'no-such-event' }, 'run', /no event named no-such-event/],
      [{ webhook: 'not a url' }, 'webhook', /is not a URL/],
      [{ slack: 'ftp://127.0.0.1/hook' }, 'slack', /http:\/\/ or https:\/\//],
      [{ email: 'nobody' }, 'email', /not an email address/],
      [{ webhook: 'http://127.0.0.1/x', template: 'Hi {{#job}} unclosed' }, 'template', /not a mustache template/],
      [{ webhook: 'http://127.0.0.1/x', discord: 'http://127.0.0.1/y' }, 'discord', /exactly one of/],
      [{}, 'run', /exactly one of/],
      [{ webhook: 'http://127.0.0.1/x', subject: 'S' }, 'subject', /only an email/],
      [{ slack: 'http://127.0.0.1/x', hmacSecret: 'long-enough-key' }, 'hmacSecret', /only a webhook/],
      [{ webhook: 'http://127.0.0.1/x', trigger: 'sometimes' as 'always' }, 'trigger', /./],
    ];
    for (const [params, field, message] of cases) {
      const e = await refusal(client.request(AddActionRequest, { event: 'validated', trigger: 'always', ...params }));
      assert.equal(e.data?.kind, 'invalid_params', JSON.stringify(params));
      assert.deepEqual(e.data?.issues?.map((i) => i.path), [field], `${JSON.stringify(params)}: ${e.message}`);
      assert.match(e.message, message);
    }
    const missing = await refusal(client.request(AddActionRequest, { event: 'nope', trigger: 'always', webhook: 'http://127.0.0.1/x' }));
    assert.equal(missing.data?.kind, 'event_not_found');
    assert.equal(storedActions(), before, 'nothing was stored');
    assert.deepEqual((await client.request(ListActionsRequest, { event: 'validated' })).actions, []);
  });

  it('posts a signed webhook, a Slack and a Discord message rendered from templates, each on its trigger', async () => {
    const sink = await receiver();
    try {
      await create('report', 'cronium.output({ count: 3, note: "a < b" }); cronium.setCondition(true); console.log("done");');
      const slackUrl = sink.url('/services/T000/B000/slacksecretpath');
      await on({ event: 'report', trigger: 'success', webhook: sink.url('/hook'), hmacSecret: 'hmac-key-123456' });
      await on({ event: 'report', trigger: 'always', slack: slackUrl, template: '{{event.name}} {{job.status}}: {{output.count}} rows, {{output.note}}, token {{variables.apiToken}}' });
      await on({ event: 'report', trigger: 'condition', discord: sink.url('/discord'), template: 'condition {{job.condition}}, output {{output}}' });
      const failureOnly = await on({ event: 'report', trigger: 'failure', webhook: sink.url('/failure') });

      const job = await run('report');
      const done = await results(job.id, 3);
      assert.deepEqual(done.map((r) => r.status), ['ok', 'ok', 'ok'], JSON.stringify(done));
      assert.ok(done.every((r) => r.detail === 'HTTP 200'));
      assert.ok(!done.some((r) => r.actionId === failureOnly), 'the failure action did not run for a success');

      const hook = sink.received.find((r) => r.path === '/hook') as Received;
      const payload = JSON.parse(hook.body) as { event: { name: string }; job: { id: string; status: string; exitCode: number }; output: unknown; trigger: string; text: string };
      assert.equal(hook.headers['content-type'], 'application/json');
      assert.equal(hook.headers['x-cronium-signature'], `sha256=${createHmac('sha256', 'hmac-key-123456').update(hook.body).digest('hex')}`);
      assert.equal(payload.event.name, 'report');
      assert.deepEqual({ id: payload.job.id, status: payload.job.status, exitCode: payload.job.exitCode }, { id: job.id, status: 'succeeded', exitCode: 0 });
      assert.deepEqual(payload.output, { count: 3, note: 'a < b' });
      assert.equal(payload.trigger, 'success');
      assert.match(payload.text, /^Cronium: report succeeded, job job_/);

      const slack = sink.received.find((r) => r.path === '/services/T000/B000/slacksecretpath') as Received;
      assert.deepEqual(JSON.parse(slack.body), { text: `report succeeded: 3 rows, a < b, token ${SECRET_TOKEN}` }, 'not HTML-escaped; secrets reach the message');
      assert.equal(slack.headers['x-cronium-signature'], undefined);
      const discord = sink.received.find((r) => r.path === '/discord') as Received;
      assert.deepEqual(JSON.parse(discord.body), { content: 'condition true, output {"count":3,"note":"a < b"}' });
      assert.equal(sink.received.filter((r) => r.path === '/failure').length, 0);

      const { actions } = await client.request(ListActionsRequest, { event: 'report' });
      assert.deepEqual(actions.map((a) => [a.kind, a.trigger, a.target, a.signed]), [
        ['webhook', 'success', sink.url('/…'), true],
        ['slack', 'always', sink.url('/…'), false],
        ['discord', 'condition', sink.url('/…'), false],
        ['webhook', 'failure', sink.url('/…'), false],
      ]);
      assert.equal(actions[1].lastResult?.status, 'ok');
      assert.equal(actions[3].lastResult, null);
      assert.ok(!databaseContains(home, 'slacksecretpath'), 'the Slack URL is sealed at rest');
      assert.ok(!databaseContains(home, 'hmac-key-123456'), 'the HMAC key is sealed at rest');
      assert.ok(!daemonLog().includes(SECRET_TOKEN), 'no rendered message in the daemon log');
    } finally {
      sink.server.close();
    }
  });

  it('skips a condition action when the script set no condition', async () => {
    const sink = await receiver();
    try {
      await create('no-condition', 'console.log("plain")');
      await on({ event: 'no-condition', trigger: 'condition', webhook: sink.url('/condition') });
      await on({ event: 'no-condition', trigger: 'always', webhook: sink.url('/always') });
      const job = await run('no-condition');
      const done = await results(job.id, 1);
      assert.equal(done.length, 1);
      assert.deepEqual(sink.received.map((r) => r.path), ['/always']);
    } finally {
      sink.server.close();
    }
  });

  it('runs the chained event with the job output as its input', async () => {
    await create('produce', 'cronium.output({ n: 41 });');
    const consumeId = await create('consume', 'const d = cronium.input(); console.log("input " + JSON.stringify(d)); cronium.output({ n: d.n + 1 });');
    await on({ event: 'produce', trigger: 'success', run: 'consume' });
    const job = await run('produce');
    const [result] = await results(job.id, 1);
    assert.equal(result.status, 'ok', result.detail);
    assert.match(result.detail, /^ran consume as job job_/);
    const chained = await ended(result.chainedJobId as string);
    assert.equal(chained.status, 'succeeded');
    assert.equal(chained.source, 'action');
    assert.equal(chained.eventId, consumeId);
    assert.deepEqual(chained.input, { n: 41 });
    assert.deepEqual(chained.output, { n: 42 });
    assert.ok(chained.envKeys.includes('CRONIUM_PARENT_JOB_ID'));
  });

  it('stops a chain of runs that loops, and says so on the last job', async () => {
    await create('loop', 'console.log("again")');
    await on({ event: 'loop', trigger: 'always', run: 'loop' });
    let job = await run('loop');
    for (let depth = 0; ; depth++) {
      const [result] = await results(job.id, 1);
      if (result.status === 'failed') {
        assert.equal(depth, 10, 'ten chained runs, then no more');
        assert.match(result.detail, /a loop\?/);
        break;
      }
      assert.ok(depth < 10, `ran ${depth + 1} deep`);
      job = await getJob(client, result.chainedJobId as string);
    }
  });

  it('sends an email through the SMTP server on failure', async () => {
    await create('nightly', 'cronium.output({ rows: 12, note: "x<y" }); process.exit(3);');
    await on({ event: 'nightly', trigger: 'failure', email: 'ops@example.test', subject: '{{event.name}} {{job.status}}', template: 'Exit {{job.exitCode}}, rows {{output.rows}}, {{output.note}}' });
    const job = await run('nightly');
    const [result] = await results(job.id, 1);
    assert.equal(result.status, 'ok', result.detail);
    assert.match(result.detail, /^sent to ops@example\.test/);
    const mail = mails.find((m) => m.to.includes('ops@example.test'));
    assert.ok(mail, 'the SMTP server received it');
    assert.equal(mail.from, 'cronium@test.local');
    const text = unQuote(mail.raw);
    assert.match(text, /^Subject: nightly failed\r?$/m);
    assert.match(text, /Exit 3, rows 12, x<y\r?\n/, 'the text part as it was output');
    assert.match(text, /Exit 3, rows 12, x&lt;y</, 'the HTML part escaped');
    assert.ok(!daemonLog().includes(SMTP_PASSWORD));
  });

  it('records an unreachable or refusing target on the job, masked, and the job ends as it would', async () => {
    const refusing = await receiver(500);
    try {
      const port = await closedPort();
      await create('flaky', 'console.log("fine")');
      const hook = await on({ event: 'flaky', trigger: 'always', webhook: `http://127.0.0.1:${port}/hook` });
      const slack = await on({ event: 'flaky', trigger: 'always', slack: refusing.url('/services/refused'), template: 'token {{variables.apiToken}}' });
      const mail = await on({ event: 'flaky', trigger: 'always', email: 'someone@refused.test' });
      const job = await run('flaky');
      const done = await results(job.id, 3);
      const by = (id: string) => done.find((r) => r.actionId === id) as ActionResultDto;
      assert.deepEqual(done.map((r) => r.status), ['failed', 'failed', 'failed']);
      assert.match(by(hook).detail, new RegExp(`cannot reach 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
      assert.match(by(slack).detail, /answered HTTP 500: cannot take \{"text":"token \*\*\*"\}/);
      assert.match(by(mail).detail, /^SMTP: .*550 5\.1\.1 no such mailbox here/);
      assert.equal((await getJob(client, job.id)).status, 'succeeded', 'the job keeps its own outcome');
      const log = await waitFor('the failures in the daemon log', () => {
        const text = daemonLog();
        return [hook, slack, mail].every((id) => text.includes(`action ${id}`)) && text;
      });
      assert.match(log, new RegExp(`action ${hook} \\(webhook on always\\) of event flaky for job ${job.id} failed: cannot reach`));
      assert.ok(!log.includes(SECRET_TOKEN), 'the echoed secret is masked in the log too');
    } finally {
      refusing.server.close();
    }
  });

  it('adds, lists and removes actions with cronium events on|actions|off', async () => {
    const sink = await receiver();
    try {
      await create('cli-event', 'process.exit(1)');
      const added = await cronium(home, ['events', 'on', 'cli-event', 'failure', '--webhook', sink.url('/cli'), '--template', 'T {{job.status}}', '--hmac-secret-env', 'HOOK_KEY'], {
        env: { HOOK_KEY: 'cli-hmac-key-777' },
      });
      assert.equal(added.code, 0, added.stderr);
      const id = /^(act_[a-z0-9]{12}): on failure, webhook http:\/\/127\.0\.0\.1:\d+\/…$/m.exec(added.stdout)?.[1];
      assert.ok(id, added.stdout);

      const unknown = await cronium(home, ['events', 'on', 'cli-event', 'success', '--run', 'no-such-event']);
      assert.equal(unknown.code, 2, 'refused params are a usage error');
      assert.match(unknown.stderr, /run: no event named no-such-event/);
      const usage = await cronium(home, ['events', 'on', 'cli-event', 'sometimes', '--webhook', sink.url('/x')]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /Unknown trigger "sometimes"/);

      const job = await run('cli-event');
      await results(job.id, 1);
      const [request] = sink.received;
      assert.equal(JSON.parse(request.body).text, 'T failed');
      assert.equal(request.headers['x-cronium-signature'], `sha256=${createHmac('sha256', 'cli-hmac-key-777').update(request.body).digest('hex')}`);

      const listed = await cronium(home, ['events', 'actions', 'cli-event', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const { actions } = JSON.parse(listed.stdout) as { actions: { id: string; signed: boolean; lastResult: { status: string; jobId: string } }[] };
      assert.deepEqual(actions.map((a) => [a.id, a.signed, a.lastResult.status, a.lastResult.jobId]), [[id, true, 'ok', job.id]]);
      const table = await cronium(home, ['events', 'actions', 'cli-event']);
      assert.match(table.stdout, new RegExp(`${id}\\s+failure\\s+webhook \\(signed\\)\\s+http://127.0.0.1:\\d+/…\\s+ok .*HTTP 200`));

      const removed = await cronium(home, ['events', 'off', 'cli-event', id]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.deepEqual((await client.request(ListActionsRequest, { event: 'cli-event' })).actions, []);
      assert.equal((await client.request(JobActionsRequest, { id: job.id })).results.length, 1, 'what it did stays on the job');
    } finally {
      sink.server.close();
    }
  });
});

describe('conditional actions on a daemon of their own', function () {
  this.timeout(60_000);

  it('records an action still waiting on its target when the daemon stops as cut short', async () => {
    const home = makeTempHome();
    let stopped = false;
    let arrived = false;
    // Takes the request and never answers.
    const silent = createServer(() => void (arrived = true));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    let daemon: DaemonProcess | undefined;
    try {
      daemon = await DaemonProcess.start(home);
      const client = await daemon.connect();
      await client.request(CreateEventRequest, { name: 'slow-hook', script: 'console.log(1)', runtime: 'node', target: 'local' });
      await client.request(AddActionRequest, { event: 'slow-hook', trigger: 'always', webhook: `http://127.0.0.1:${port}/slow` });
      const { job } = await client.request(RunEventRequest, { event: 'slow-hook' });
      await waitFor('the webhook request to arrive', () => arrived);
      client.close();
      assert.equal(await daemon.stop(), 0);
      stopped = true;
      const db = new Database(join(home, 'cronium.db'), { readonly: true, fileMustExist: true });
      try {
        const rows = db.prepare<[string], { status: string; detail: string }>('SELECT status, detail FROM job_action_results WHERE job_id = ?').all(job.id);
        assert.deepEqual(rows, [{ status: 'failed', detail: 'the daemon stopped before the action finished' }]);
      } finally {
        db.close();
      }
    } finally {
      if (!stopped && daemon?.running) await daemon.kill9();
      silent.closeAllConnections();
      silent.close();
      removeHome(home);
    }
  });

  it('takes an email action on a daemon without an SMTP server, and says what to set', async () => {
    const home = makeTempHome();
    const daemon = await DaemonProcess.start(home, { CRONIUM_SMTP_URL: '' });
    try {
      const client = await daemon.connect();
      await client.request(CreateEventRequest, { name: 'mailer-less', script: 'console.log(1)', runtime: 'node', target: 'local' });
      const added = await client.request(AddActionRequest, { event: 'mailer-less', trigger: 'failure', email: 'ops@example.test' });
      client.close();
      assert.equal(added.action.kind, 'email');
      assert.match(added.notice ?? '', /set CRONIUM_SMTP_URL \(e\.g\. smtp:\/\/user:password@mail\.example\.com:587\) in the daemon's environment/);
    } finally {
      await daemon.stop();
      removeHome(home);
    }
  });
});
