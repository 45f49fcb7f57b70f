import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ResponseError } from 'vscode-jsonrpc';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import type { ErrorData } from '../../daemon/protocol/errors';
import {
  CreateEventRequest,
  GetEventRequest,
  ListEventsRequest,
  ResetEventRequest,
  RunEventRequest,
  type CreateEventParams,
  type EventDto,
} from '../../daemon/protocol/events';
import { ReadLogsRequest } from '../../daemon/protocol/logs';
import { SetVariableRequest } from '../../daemon/protocol/variables';
import { DaemonProcess, getJob } from '../helpers/daemonProcess';
import { dockerProblem, requireService } from '../helpers/services';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';

interface LedgerRow {
  scheduled_for: number;
  decision: string;
  job_id: string | null;
  catch_up: number;
  reason: string | null;
}

/** The event's slot ledger and jobs, read from the database as the daemon left it. */
function ledger(home: string, eventId: string): { slots: LedgerRow[]; jobs: { id: string; triggered_at: number | null; source: string }[] } {
  const db = new Database(join(home, 'cronium.db'), { readonly: true, fileMustExist: true });
  try {
    return {
      slots: db.prepare<[string], LedgerRow>('SELECT * FROM event_slots WHERE event_id = ? ORDER BY scheduled_for').all(eventId),
      jobs: db
        .prepare<[string], { id: string; triggered_at: number | null; source: string }>(
          'SELECT id, triggered_at, source FROM jobs WHERE event_id = ? ORDER BY rowid',
        )
        .all(eventId),
    };
  } finally {
    db.close();
  }
}

/** No slot fired twice: one ledger row per slot (the key), and at most one scheduled job per slot time. */
function assertEachSlotOnce(home: string, eventId: string): void {
  const { slots, jobs } = ledger(home, eventId);
  const scheduled = jobs.filter((j) => j.source === 'schedule');
  const times = scheduled.map((j) => j.triggered_at);
  assert.equal(new Set(times).size, times.length, `a slot made two jobs: ${JSON.stringify(times)}`);
  const fired = slots.filter((s) => s.decision === 'fired');
  assert.deepEqual(
    fired.map((s) => s.job_id).sort(),
    scheduled.map((j) => j.id).sort(),
    'the ledger names every scheduled job, and each once',
  );
  for (const slot of fired) assert.ok(times.includes(slot.scheduled_for), `slot ${slot.scheduled_for} has its job`);
}

async function refusal(promise: Promise<unknown>): Promise<ResponseError<ErrorData>> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof ResponseError) return e as ResponseError<ErrorData>;
    throw e;
  }
  assert.fail('the request was accepted');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('events and the scheduler (real daemon, real SQLite)', function () {
  this.timeout(120_000);
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;

  const create = async (params: Partial<CreateEventParams> & { name: string }): Promise<EventDto> =>
    (await client.request(CreateEventRequest, { script: 'echo "slot $CRONIUM_SCHEDULED_TIME"\n', runtime: 'bash', target: 'local', ...params })).event;
  const show = async (ref: string): Promise<EventDto> => (await client.request(GetEventRequest, { event: ref })).event;
  const restart = async (env: NodeJS.ProcessEnv = {}): Promise<void> => {
    daemon = await DaemonProcess.start(home, env);
    client = await daemon.connect();
  };

  beforeEach(async () => {
    home = makeTempHome();
    await restart();
  });
  afterEach(async () => {
    client?.close();
    if (daemon?.running) await daemon.stop();
    removeHome(home);
  });

  it('refuses a bad schedule or script with an error naming the field, and stores nothing', async () => {
    const cases: [Partial<CreateEventParams>, string, RegExp][] = [
      [{ cron: '61 * * * *' }, 'cron', /not a valid cron expression/],
      [{ cron: 'every day' }, 'cron', /not a valid cron expression/],
      [{ cron: '* * * * *', timezone: 'Mars/Olympus' }, 'timezone', /not a known IANA time zone/],
      [{ every: '0s' }, 'every', /at least 1 s/],
      [{ every: '-5m' }, 'every', /./],
      [{ at: '2020-01-01T00:00:00Z' }, 'at', /in the past/],
      [{ cron: '* * * * *', every: '1m' }, 'schedule', /./],
      [{ script: undefined, file: '/nonexistent/script.sh' }, 'file', /cannot read/],
    ];
    for (const [params, field, message] of cases) {
      const e = await refusal(create({ name: `bad-${field}`, ...params }));
      assert.equal(e.data?.kind, 'invalid_params', JSON.stringify(params));
      assert.deepEqual(e.data?.issues?.map((i) => i.path), [field], `${JSON.stringify(params)}: ${e.message}`);
      assert.match(e.message, message);
      assert.match(e.message, new RegExp(`${field}: `), 'the message names the field');
    }
    assert.deepEqual((await client.request(ListEventsRequest, {})).events, [], 'nothing was stored');
    await create({ name: 'taken' });
    assert.equal((await refusal(create({ name: 'taken' }))).data?.kind, 'event_exists');
  });

  it('fires an every-second event once per slot, with the slot time, and shows the slots with their delay', async () => {
    const event = await create({ name: 'tick', every: '1s' });
    assert.equal(event.nextRuns.length, 5);
    assert.equal(Date.parse(event.nextRuns[1]) - Date.parse(event.nextRuns[0]), 1000, 'a true interval');
    await waitFor('four slots to fire', async () => (await show('tick')).slots.filter((s) => s.outcome === 'succeeded').length >= 4, 15_000);
    const shown = await show(event.id);
    for (const slot of shown.slots.filter((s) => s.jobId !== null)) {
      assert.ok(slot.delayMs !== null && slot.delayMs >= 0 && slot.delayMs < 1000, `delay ${slot.delayMs} ms`);
      const job = await getJob(client, slot.jobId as string);
      assert.equal(job.eventId, event.id);
      assert.equal(job.source, 'schedule');
    }
    assertEachSlotOnce(home, event.id);
  });

  it('after a stop across due slots, fires each slot exactly once and catches up by the policy', async () => {
    const latest = await create({ name: 'latest', every: '1s', catchUp: 'latest' });
    const none = await create({ name: 'none', every: '1s', catchUp: 'none' });
    const all = await create({ name: 'all', every: '1s', catchUp: 'all' });
    await sleep(2500);
    client.close();
    await daemon.stop();
    await sleep(3500); // three or four slots of each event pass while no daemon runs
    await restart();
    await waitFor('the catch-up to be decided', () => ledger(home, all.id).slots.every((s) => s.decision !== 'firing'));
    await sleep(300);
    // The slots the catch-up decided are those that say they were missed.
    const missed = (rows: LedgerRow[]) => rows.filter((r) => /missed: the daemon was not running/.test(r.reason ?? ''));

    const l = missed(ledger(home, latest.id).slots);
    assert.ok(l.length >= 3, `slots missed by latest: ${l.length}`);
    assert.deepEqual(
      l.map((s) => s.decision),
      [...l.slice(0, -1).map(() => 'skipped'), 'fired'],
      'latest: the newest missed slot runs, the others are skipped',
    );
    assert.equal(l[l.length - 1].catch_up, 1);

    const n = missed(ledger(home, none.id).slots);
    assert.ok(n.length >= 3 && n.every((s) => s.decision === 'skipped'), `none: ${JSON.stringify(n)}`);
    const a = missed(ledger(home, all.id).slots);
    assert.ok(a.length >= 3 && a.every((s) => s.decision === 'fired' && s.catch_up === 1), `all: ${JSON.stringify(a)}`);

    const catchUpJob = await getJob(client, l[l.length - 1].job_id as string);
    assert.equal(catchUpJob.eventId, latest.id);
    for (const e of [latest, none, all]) assertEachSlotOnce(home, e.id);
  });

  it('never fires a slot twice when the daemon is killed -9 at random moments, round after round', async () => {
    const event = await create({ name: 'killed', every: '1s', catchUp: 'all' });
    for (let round = 0; round < 6; round++) {
      await sleep(700 + Math.floor(Math.random() * 1300));
      client.close();
      await daemon.kill9();
      await restart();
    }
    await sleep(1500);
    const { slots } = ledger(home, event.id);
    assert.ok(slots.filter((s) => s.decision === 'fired').length >= 6, `${slots.length} slots`);
    assertEachSlotOnce(home, event.id);
  });

  it('records slots missed while the daemon process was stopped (SIGSTOP) with the reason', async () => {
    const event = await create({ name: 'stopped', every: '1s', catchUp: 'none' });
    await sleep(1200);
    process.kill(daemon.pid, 'SIGSTOP');
    await sleep(LATE_MS + 3000);
    process.kill(daemon.pid, 'SIGCONT');
    await waitFor('the missed slots to be recorded', () => ledger(home, event.id).slots.some((s) => s.decision === 'skipped'), 10_000);
    const skipped = ledger(home, event.id).slots.filter((s) => s.decision === 'skipped');
    assert.ok(skipped.length >= 10, `${skipped.length} skipped`);
    assert.match(skipped[0].reason ?? '', /the daemon was stopped or too busy/);
    await waitFor('slots to fire again', async () => {
      const s = ledger(home, event.id).slots;
      return s[s.length - 1].decision === 'fired' && s[s.length - 1].scheduled_for > Date.now() - 3000;
    });
    assertEachSlotOnce(home, event.id);
  });

  it('overlap allow (the default): a slow job on a fast schedule runs side by side with the next', async () => {
    const event = await create({ name: 'side-by-side', every: '1s', script: 'sleep 2.5\n' });
    assert.equal(event.overlap, 'allow');
    await waitFor('two runs at once', async () => {
      const ids = ledger(home, event.id).jobs.map((j) => j.id);
      const jobs = await Promise.all(ids.map((id) => getJob(client, id)));
      return jobs.filter((j) => j.status === 'running').length >= 2;
    }, 10_000);
    assert.ok(ledger(home, event.id).slots.every((s) => s.decision !== 'skipped'), 'no slot skipped');
  });

  it('overlap skip: a slow job on a fast schedule skips the slots while it runs, and says why', async () => {
    const event = await create({ name: 'slow', every: '1s', overlap: 'skip', script: 'sleep 2.5\n' });
    await waitFor('a skipped slot', () => ledger(home, event.id).slots.some((s) => s.decision === 'skipped'), 10_000);
    const { slots } = ledger(home, event.id);
    assert.match(slots.find((s) => s.decision === 'skipped')?.reason ?? '', /overlap/);
    assert.ok(slots.filter((s) => s.decision === 'fired').length >= 1);
    assertEachSlotOnce(home, event.id);
  });

  it('overlap queue: one run waits for the previous and starts when it ends; runs never overlap', async () => {
    const event = await create({ name: 'queued', every: '1s', overlap: 'queue', script: 'sleep 1.6\n' });
    await waitFor('a run that waited', () => ledger(home, event.id).slots.filter((s) => /waited for the previous run/.test(s.reason ?? '') && s.decision === 'fired').length >= 2, 15_000);
    const { slots } = ledger(home, event.id);
    assert.ok(slots.some((s) => s.decision === 'skipped' && /already waiting/.test(s.reason ?? '')), 'a third run was not queued behind the waiting one');
    const jobs = await Promise.all(slots.filter((s) => s.job_id !== null).map((s) => getJob(client, s.job_id as string)));
    const ended = jobs.filter((j) => j.startedAt !== null && j.finishedAt !== null).sort((a, b) => Date.parse(a.startedAt as string) - Date.parse(b.startedAt as string));
    for (let i = 1; i < ended.length; i++) {
      assert.ok(Date.parse(ended[i].startedAt as string) >= Date.parse(ended[i - 1].finishedAt as string), `${ended[i].id} started before ${ended[i - 1].id} ended`);
    }
    assertEachSlotOnce(home, event.id);
  });

  it('overlap replace: a new slot cancels the run still going', async () => {
    const event = await create({ name: 'replaced', every: '2s', overlap: 'replace', script: 'sleep 30\n' });
    await waitFor('a run to be replaced', async () => {
      const ids = ledger(home, event.id).jobs.map((j) => j.id);
      const jobs = await Promise.all(ids.map((id) => getJob(client, id)));
      return jobs.some((j) => j.status === 'cancelled') && jobs.some((j) => j.status === 'running');
    }, 15_000);
    const jobs = await Promise.all(ledger(home, event.id).jobs.map((j) => getJob(client, j.id)));
    assert.ok(jobs.filter((j) => j.status === 'running').length <= 1, jobs.map((j) => j.status).join(', '));
  });

  it('max runs pauses the event; reset makes it active again; a manual run works meanwhile', async () => {
    const event = await create({ name: 'twice', every: '1s', maxRuns: 2 });
    await waitFor('the event to pause', async () => (await show('twice')).status === 'paused', 10_000);
    await sleep(1500);
    const paused = await show('twice');
    assert.equal(paused.runCount, 2);
    assert.equal(ledger(home, event.id).slots.filter((s) => s.decision === 'fired').length, 2, 'no slot fired once paused');
    assert.deepEqual(paused.nextRuns, []);
    const manual = (await client.request(RunEventRequest, { event: 'twice' })).job;
    assert.equal(manual.eventId, event.id);
    const reset = (await client.request(ResetEventRequest, { event: 'twice' })).event;
    assert.equal(reset.status, 'active');
    assert.equal(reset.runCount, 0);
    await waitFor('it to fire again', () => ledger(home, event.id).slots.filter((s) => s.decision === 'fired').length === 4, 10_000);
  });

  it("a scheduled run knows its event and slot: CRONIUM_EVENT_ID, CRONIUM_SCHEDULED_TIME and cronium.event()", async () => {
    const event = await create({
      name: 'knows',
      every: '1s',
      script: [
        'echo "env $CRONIUM_EVENT_ID $CRONIUM_SCHEDULED_TIME $CRONIUM_IS_CATCHUP"',
        'echo "api $(cronium_event_field eventId) $(cronium_event_field eventName) $(cronium_event_field source) $(cronium_event_field scheduledFor)"',
        'echo "event $(cronium_event_field event.name) $(cronium_event_field event.description) $(cronium_event_field event.schedule)"',
      ].join('\n'),
      description: 'says-who',
    });
    const slot = await waitFor('a slot whose job ended', () => ledger(home, event.id).slots.find((s) => s.decision === 'fired'), 10_000);
    const job = await waitFor('the job to end', async () => {
      const j = await getJob(client, slot.job_id as string);
      return j.finishedAt !== null ? j : undefined;
    });
    assert.equal(job.status, 'succeeded', job.lastError ?? '');
    const { lines } = await client.request(ReadLogsRequest, { jobId: job.id });
    const text = lines.map((l) => l.text).join('\n');
    const at = new Date(slot.scheduled_for).toISOString();
    assert.match(text, new RegExp(`env ${event.id} ${at} 0`));
    assert.match(text, new RegExp(`api ${event.id} knows schedule ${at}`));
    assert.match(text, /event knows says-who every 1s/, 'cronium.event() returns the event itself too');
  });

  it('passes its network and limits to a container run', async function () {
    requireService(this, 'Docker', await dockerProblem());
    const event = await create({ name: 'boxed', target: 'container', network: true, limits: { memoryMb: 256, pids: 50 } });
    const { job } = await client.request(RunEventRequest, { event: event.id });
    const done = await waitFor('the run to end', async () => {
      const j = await getJob(client, job.id);
      return j.finishedAt !== null ? j : undefined;
    }, 60_000);
    assert.equal(done.status, 'succeeded', done.lastError ?? '');
    assert.equal(done.container?.memoryBytes, 256 * 1024 * 1024);
    assert.equal(done.container?.pidsLimit, 50);
    assert.equal(done.container?.network, true);
  });

  it('retries a failed run with backoff, as executions of the same job, and stops at the limit', async () => {
    const event = await create({ name: 'flaky', script: 'echo "attempt $CRONIUM_EXECUTION_ID"; exit 3\n', retries: 2, retryBackoffMs: 300 });
    assert.deepEqual(event.retries, { count: 2, backoffMs: 300, on: ['failed', 'timed_out'] });
    const { job } = await client.request(RunEventRequest, { event: 'flaky' });
    const done = await waitFor('the last attempt to end', async () => {
      const j = await getJob(client, job.id);
      return j.finishedAt !== null && j.executions.length === 3 && j.executions.every((e) => e.finishedAt !== null) ? j : undefined;
    }, 20_000);
    assert.equal(done.status, 'failed');
    assert.deepEqual(done.executions.map((e) => [e.attempt, e.status, e.exitCode]), [[1, 'failed', 3], [2, 'failed', 3], [3, 'failed', 3]]);
    const gaps = done.executions.slice(1).map((e, i) => Date.parse(e.startedAt as string) - Date.parse(done.executions[i].finishedAt as string));
    // base 300 ms, then 600 ms, each ×0.5–1.5
    assert.ok(gaps[0] >= 150 && gaps[0] < 1500, `first wait ${gaps[0]} ms`);
    assert.ok(gaps[1] >= 300 && gaps[1] < 2500, `second wait ${gaps[1]} ms`);
  });

  it('a retry that succeeds ends the job succeeded; a retry waiting its backoff survives a daemon restart', async () => {
    const marker = join(home, 'tried');
    await create({ name: 'second-time', script: `if [ -e ${marker} ]; then echo ok; else touch ${marker}; exit 1; fi\n`, retries: 3, retryBackoffMs: 3000 });
    const { job } = await client.request(RunEventRequest, { event: 'second-time' });
    await waitFor('the first attempt to fail', async () => (await getJob(client, job.id)).executions.length === 2, 10_000);
    assert.equal((await getJob(client, job.id)).status, 'queued', 'the job waits for its retry, not ended');
    client.close();
    await daemon.stop();
    await restart();
    const done = await waitFor('the retry to run after the restart', async () => {
      const j = await getJob(client, job.id);
      return j.finishedAt !== null ? j : undefined;
    }, 20_000);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.executions.map((e) => [e.attempt, e.status]), [[1, 'failed'], [2, 'succeeded']]);
  });

  it('runs a file event with the file as it is at each run', async () => {
    const file = join(home, 'job.sh');
    writeFileSync(file, '#!/bin/bash\necho first\n');
    chmodSync(file, 0o755);
    const event = await create({ name: 'file', script: undefined, runtime: undefined, file });
    assert.equal(event.type, 'bash');
    const first = (await client.request(RunEventRequest, { event: 'file' })).job;
    writeFileSync(file, '#!/bin/bash\necho second\n');
    const second = (await client.request(RunEventRequest, { event: 'file' })).job;
    const db = new Database(join(home, 'cronium.db'), { readonly: true });
    const script = (id: string) => (db.prepare('SELECT script FROM jobs WHERE id = ?').get(id) as { script: string }).script;
    assert.match(script(first.id), /first/);
    assert.match(script(second.id), /second/);
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    assert.equal(first.scriptSha256, sha('#!/bin/bash\necho first\n'), 'each job keeps the hash of what it ran');
    assert.equal(second.scriptSha256, sha('#!/bin/bash\necho second\n'));
    db.close();
  });
});

/** Slots later than this count as missed (scheduler.ts LATE_AFTER_MS). */
const LATE_MS = 10_000;

describe('HTTP-request events (real daemon, a local HTTP server)', function () {
  this.timeout(60_000);
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;
  let server: Server;
  let port: number;
  const seen: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (req.url === '/moved') {
          res.writeHead(301, { location: '/new-home' }).end();
        } else if (req.url === '/broken') {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('it broke');
        } else {
          res.writeHead(201, { 'content-type': 'application/json', 'x-answer': '42' }).end(JSON.stringify({ got: body }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    home = makeTempHome();
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
  });
  after(async () => {
    client?.close();
    await daemon?.stop();
    server?.close();
    removeHome(home);
  });

  const runToEnd = async (params: CreateEventParams) => {
    const { event } = await client.request(CreateEventRequest, params);
    const { job } = await client.request(RunEventRequest, { event: event.id });
    const done = await waitFor('the request to end', async () => {
      const j = await getJob(client, job.id);
      return j.finishedAt !== null ? j : undefined;
    }, 30_000);
    const { lines } = await client.request(ReadLogsRequest, { jobId: job.id });
    return { event, job: done, log: lines.map((l) => l.text).join('\n') };
  };

  it('sends the request with variables filled in (a secret masked in the log) and keeps the answer as output', async () => {
    await client.request(SetVariableRequest, { key: 'api_token', value: 's3cr3t-t0ken', secret: true });
    const { event, job, log } = await runToEnd({
      name: 'post',
      http: {
        method: 'POST',
        url: `http://127.0.0.1:${port}/hook?user={{variables.api_token}}`,
        headers: { authorization: 'Bearer {{variables.api_token}}', 'content-type': 'text/plain' },
        body: 'hello {{variables.api_token}}',
        expectedStatus: 201,
      },
    });
    assert.equal(event.type, 'http');
    assert.equal(job.status, 'succeeded', `${job.lastError} ${log}`);
    const request = seen[seen.length - 1];
    assert.equal(request.method, 'POST');
    assert.equal(request.headers.authorization, 'Bearer s3cr3t-t0ken');
    assert.equal(request.body, 'hello s3cr3t-t0ken');
    const output = job.output as { status: number; headers: Record<string, string>; body: string };
    assert.equal(output.status, 201);
    assert.equal(output.headers['x-answer'], '42');
    assert.deepEqual(JSON.parse(output.body), { got: 'hello s3cr3t-t0ken' });
    assert.match(log, /POST http:\/\/127\.0\.0\.1:\d+\/hook -> 201/);
    assert.doesNotMatch(log, /s3cr3t/, 'the secret is not in the log');
    const db = new Database(join(home, 'cronium.db'), { readonly: true });
    const stored = db.prepare('SELECT script, input_json FROM jobs WHERE id = ?').get(job.id) as { script: string; input_json: string };
    db.close();
    assert.doesNotMatch(stored.script + stored.input_json, /s3cr3t/, 'nor in the stored job');
  });

  it('fails on an unexpected status, and says where a redirect points', async () => {
    const broken = await runToEnd({ name: 'broken', http: { url: `http://127.0.0.1:${port}/broken` } });
    assert.equal(broken.job.status, 'failed');
    assert.match(broken.log, /expected status 2xx, got 500/);
    assert.equal((broken.job.output as { body: string }).body, 'it broke');
    const moved = await runToEnd({ name: 'moved', http: { url: `http://127.0.0.1:${port}/moved` } });
    assert.equal(moved.job.status, 'failed');
    assert.match(moved.log, /redirected to \/new-home \(status 301\); redirects are not followed/);
  });

  it('reports a TLS error and a refused connection in words', async () => {
    // https:// to a plain HTTP port: the TLS handshake fails.
    const tls = await runToEnd({ name: 'tls', http: { url: `https://127.0.0.1:${port}/` } });
    assert.equal(tls.job.status, 'failed');
    assert.match(tls.log, /TLS error talking to 127\.0\.0\.1:\d+/);
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const free = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(free));
      });
    });
    const refused = await runToEnd({ name: 'refused', http: { url: `http://127.0.0.1:${closed}/` } });
    assert.equal(refused.job.status, 'failed');
    assert.match(refused.log, /connection refused by 127\.0\.0\.1:\d+/);
  });

  it('refuses a URL that is not http(s), naming the field', async () => {
    const e = await refusal(client.request(CreateEventRequest, { name: 'ftp', http: { url: 'ftp://example.org/x' } }));
    assert.deepEqual(e.data?.issues?.map((i) => i.path), ['http.url']);
    assert.match(e.message, /http\.url: must be an http:\/\/ or https:\/\/ URL/);
  });
});
