import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { followJob } from '../../daemon/cli/followJob';
import type { JobDto } from '../../daemon/protocol/dto';
import { CancelJobRequest, ListJobsRequest, RunJobRequest } from '../../daemon/protocol/jobs';
import { UpdateSettingsRequest } from '../../daemon/protocol/settings';
import { cronium } from '../helpers/cli';
import { DaemonProcess } from '../helpers/daemonProcess';
import { makeTempHome, removeHome, writeScript } from '../helpers/tempHome';

const NO_DOCKER = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

describe('jobs and their executions', function () {
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;

  before(async function () {
    home = makeTempHome();
    daemon = await DaemonProcess.start(home, NO_DOCKER);
    client = await daemon.connect();
  });

  after(async function () {
    client?.close();
    await daemon?.stop();
    if (home) removeHome(home);
  });

  it('runs a job as one execution with its own id, token subject and log', async function () {
    const file = join(home, 'ids');
    const { job } = await client.connection.sendRequest(RunJobRequest, {
      content: `echo "$CRONIUM_JOB_ID $CRONIUM_EXECUTION_ID" > ${file}\necho hello\n`,
      runtime: 'bash',
      target: 'local',
    });
    const final = await followJob(client, job.id, () => undefined);
    assert.equal(final.executions.length, 1);
    const [execution] = final.executions;
    assert.match(execution.id, /^exe_[a-z0-9]{12}$/);
    assert.equal(execution.jobId, job.id);
    assert.equal(execution.attempt, 1);
    assert.equal(execution.status, 'succeeded');
    assert.equal(execution.logLines, 1);
    assert.equal(typeof execution.handle?.pid, 'number', 'the local executor records the process it started');
    assert.equal(readFileSync(file, 'utf8'), `${job.id} ${execution.id}\n`);
    assert.equal(final.source, 'manual');
  });

  it('decides `auto` when the execution is claimed, not when the job is submitted', async function () {
    await client.connection.sendRequest(UpdateSettingsRequest, { concurrency: 1 });
    const gate = join(home, 'gate');
    const blocker = await client.connection.sendRequest(RunJobRequest, {
      content: `while [ ! -e ${gate} ]; do sleep 0.05; done\n`,
      runtime: 'bash',
      target: 'local',
    });
    try {
      const { job } = await client.connection.sendRequest(RunJobRequest, { content: 'echo waited\n', runtime: 'bash' });
      assert.equal(job.status, 'queued');
      assert.equal(job.target, 'auto', 'a queued job has no target yet');
      assert.equal(job.executions[0].target, 'auto');
      assert.equal(job.notice, null);
      writeScript(home, 'gate', '');
      const final = await followJob(client, job.id, () => undefined);
      assert.equal(final.status, 'succeeded');
      assert.equal(final.target, 'local');
      assert.match(final.notice ?? '', /^Running on the host: Docker is not reachable/);
      assert.equal(final.executions[0].notice, final.notice);
    } finally {
      writeScript(home, 'gate', '');
      await followJob(client, blocker.job.id, () => undefined);
      await client.connection.sendRequest(UpdateSettingsRequest, { concurrency: 4 });
    }
  });

  it('tells `jobs/run` why auto chose the host when the job is claimed at once', async function () {
    const result = await client.connection.sendRequest(RunJobRequest, { content: 'true\n', runtime: 'bash' });
    assert.match(result.notice ?? '', /^Running on the host/);
    assert.equal(result.job.target, 'local');
  });

  it('cancels a queued job: its execution is cancelled and the job says so', async function () {
    await client.connection.sendRequest(UpdateSettingsRequest, { concurrency: 1 });
    const gate = join(home, 'gate2');
    const blocker = await client.connection.sendRequest(RunJobRequest, {
      content: `while [ ! -e ${gate} ]; do sleep 0.05; done\n`,
      runtime: 'bash',
      target: 'local',
    });
    try {
      const { job } = await client.connection.sendRequest(RunJobRequest, { content: 'echo never\n', runtime: 'bash', target: 'local' });
      const cancelled = await client.connection.sendRequest(CancelJobRequest, { id: job.id });
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.executions[0].status, 'cancelled');
      assert.equal(cancelled.executions[0].startedAt, null);
    } finally {
      writeScript(home, 'gate2', '');
      await followJob(client, blocker.job.id, () => undefined);
      await client.connection.sendRequest(UpdateSettingsRequest, { concurrency: 4 });
    }
  });

  it('shows the executions in `cronium job ID`, and as an array in its --json', async function () {
    const script = writeScript(home, 'fails.sh', 'echo out; exit 3\n');
    const run = await cronium(home, ['run', script, '--target', 'local', '--json'], { env: NO_DOCKER });
    assert.equal(run.code, 3);
    const job = JSON.parse(run.stdout) as JobDto;
    const shown = await cronium(home, ['job', job.id, '--json']);
    const dto = JSON.parse(shown.stdout) as JobDto;
    assert.ok(Array.isArray(dto.executions));
    assert.equal(dto.executions.length, 1);
    assert.equal(dto.executions[0].exitCode, 3);
    assert.equal(dto.executions[0].status, 'failed');
    const human = await cronium(home, ['job', job.id]);
    assert.match(human.stdout, /^executions:$/m);
    assert.match(human.stdout, new RegExp(`^${dto.executions[0].id}\\s+1\\s+-\\s+local\\s+failed\\s+3\\s`, 'm'));
  });

  it('refuses an explicit target that cannot take work, and stores nothing', async function () {
    const before = await client.connection.sendRequest(ListJobsRequest, { limit: 1000 });
    await assert.rejects(
      client.connection.sendRequest(RunJobRequest, { content: 'true\n', runtime: 'bash', target: 'container' }),
      (e: { data?: { kind?: string }; message: string }) => e.data?.kind === 'target_unavailable' && /Docker is not reachable/.test(e.message),
    );
    const after = await client.connection.sendRequest(ListJobsRequest, { limit: 1000 });
    assert.equal(after.jobs.length, before.jobs.length);
  });
});
