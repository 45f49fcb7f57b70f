import { strict as assert } from 'node:assert';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { followJob } from '../../daemon/cli/followJob';
import type { JobDto, LogLineDto } from '../../daemon/protocol/dto';
import { ListJobsRequest, RerunJobRequest } from '../../daemon/protocol/jobs';
import { ReadLogsRequest } from '../../daemon/protocol/logs';
import { GetVariableRequest } from '../../daemon/protocol/variables';
import { DaemonProcess, ROOT } from '../helpers/daemonProcess';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'schema2-home');
const old = JSON.parse(readFileSync(join(FIXTURE, 'jobs-before.json'), 'utf8')) as { jobs: JobDto[] };
const logsBefore = JSON.parse(readFileSync(join(FIXTURE, 'logs-before.json'), 'utf8')) as Record<string, { lines: LogLineDto[] }>;
/** Jobs the old daemon left running or queued when it was killed: the new one settles them. */
const UNSETTLED = new Set(['fixture-lost', 'fixture-queued2']);

async function allLines(client: DaemonClient, jobId: string): Promise<LogLineDto[]> {
  const lines: LogLineDto[] = [];
  for (let afterSeq = 0; ; ) {
    const page = await client.connection.sendRequest(ReadLogsRequest, { jobId, afterSeq, limit: 300 });
    lines.push(...page.lines);
    afterSeq = page.nextSeq;
    if (page.atEnd) return lines;
  }
}

describe('a database written before jobs had executions (schema 2)', function () {
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;
  let now: Map<string, JobDto>;

  before(async function () {
    home = makeTempHome();
    for (const file of ['cronium.db', 'master.key']) copyFileSync(join(FIXTURE, file), join(home, file));
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
    await waitFor('the queued job of the old daemon to run', async () => {
      const { jobs } = await client.connection.sendRequest(ListJobsRequest, { limit: 100 });
      return jobs.every((job) => job.status !== 'queued' && job.status !== 'claimed' && job.status !== 'running');
    });
    const { jobs } = await client.connection.sendRequest(ListJobsRequest, { limit: 100 });
    now = new Map(jobs.map((job) => [job.id, job]));
  });

  after(async function () {
    client?.close();
    await daemon?.stop();
    if (home) removeHome(home);
  });

  it('keeps every job, newest first, with what it was asked and how it ended', function () {
    assert.deepEqual([...now.keys()], old.jobs.map((job) => job.id));
    for (const was of old.jobs) {
      if (UNSETTLED.has(was.name)) continue;
      const job = now.get(was.id) as JobDto;
      const { executions, source, eventId, notice, scriptSha256, ...summary } = job;
      assert.deepEqual(summary, was, `job ${was.name} reads as before`);
      assert.equal(scriptSha256, null, 'no hash was kept for it');
      assert.equal(source, 'manual');
      assert.equal(eventId, null);
      assert.equal(notice, null);
      assert.equal(executions.length, 1, `job ${was.name} has one execution`);
      const [execution] = executions;
      assert.equal(execution.id, `exe_${was.id.slice(4)}`);
      assert.equal(execution.status, was.status);
      assert.equal(execution.exitCode, was.exitCode);
      assert.equal(execution.logLines, was.logLines);
      assert.deepEqual(execution.output, was.output);
    }
  });

  it('reads every stored log line as before, bytes that are not UTF-8 included', async function () {
    for (const was of old.jobs) {
      if (UNSETTLED.has(was.name)) continue; // their logs went on after the old daemon: see the next test
      assert.deepEqual(await allLines(client, was.id), logsBefore[was.id].lines, `log of ${was.name}`);
    }
  });

  it('settles the jobs the old daemon left: the running one lost, the queued one run', async function () {
    const lost = [...now.values()].find((job) => job.name === 'fixture-lost') as JobDto;
    assert.equal(lost.status, 'failed');
    assert.equal(lost.error?.kind, 'daemon_lost');
    assert.deepEqual((await allLines(client, lost.id)).map((l) => l.text), ['started']);
    const queued = [...now.values()].find((job) => job.name === 'fixture-queued2') as JobDto;
    assert.equal(queued.status, 'succeeded');
    assert.deepEqual((await allLines(client, queued.id)).map((l) => l.text), ['queued-then-ran']);
  });

  it('still opens the sealed environment and secrets of old jobs', async function () {
    const ok = old.jobs.find((job) => job.name === 'fixture-ok') as JobDto;
    const { job } = await client.connection.sendRequest(RerunJobRequest, { id: ok.id });
    const final = await followJob(client, job.id, () => undefined);
    assert.equal(final.status, 'succeeded');
    assert.deepEqual(final.output, { got: { a: 1 }, n: 3 });
    assert.deepEqual(final.envKeys, ['SECRET_ENV']);
    const secret = await client.connection.sendRequest(GetVariableRequest, { key: 'token', reveal: true });
    assert.equal(secret.value, 'abcdef123');
  });
});
