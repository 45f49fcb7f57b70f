import assert from 'node:assert/strict';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import type { JobDto } from '../../daemon/protocol/dto';
import { CancelJobRequest, GetJobRequest, RunJobRequest } from '../../daemon/protocol/jobs';
import { SetVariableRequest } from '../../daemon/protocol/variables';
import { cronium } from '../helpers/cli';
import { DaemonProcess, getJob, runToEnd, startSuiteDaemon, stopSuiteDaemon } from '../helpers/daemonProcess';
import { daemonIdOf, leftovers, strayResources, warmJobContainers } from '../helpers/dockerLeftovers';
import { dockerProblem, requireService } from '../helpers/services';
import { databaseContains, makeTempHome, removeHome, writeScript } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';

describe('container jobs through the daemon', function () {
  this.timeout(90_000);
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;

  before(async function () {
    requireService(this, 'Docker', await dockerProblem());
    ({ home, daemon, client } = await startSuiteDaemon());
  });

  after(() => stopSuiteDaemon({ home, daemon, client }));


  /** Resources labelled with the job, and anything else of this daemon beyond its warm slots. */
  async function jobLeftovers(jobId: string) {
    const stray = await strayResources(daemonIdOf(home));
    return { ...(await leftovers(`cronium.job=${jobId}`)), stray };
  }

  it('runs in a container by default (target auto) and records its details', async function () {
    const script = writeScript(home, 'whoami.sh', 'echo "uid $(id -u)"\ncronium_output \'{"done":true}\'\ncronium_set_condition false\n');
    const run = await cronium(home, ['run', script, '--input', '{"a":1}', '--memory', '256', '--pids', '50']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'uid 1000\n');
    const { jobs } = JSON.parse((await cronium(home, ['jobs', '--json', '--limit', '1'])).stdout) as { jobs: JobDto[] };
    const shown = JSON.parse((await cronium(home, ['job', jobs[0].id, '--json'])).stdout) as JobDto;
    assert.equal(shown.target, 'container');
    assert.equal(shown.requestedTarget, 'auto');
    assert.deepEqual(shown.input, { a: 1 });
    assert.deepEqual(shown.output, { done: true });
    assert.equal(shown.condition, false);
    assert.equal(shown.container?.memoryBytes, 256 * 1024 * 1024);
    assert.equal(shown.container?.pidsLimit, 50);
    assert.equal(shown.container?.network, false);
    assert.match(shown.container?.containerId ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(await jobLeftovers(shown.id), { containers: [], networks: [], stray: [] });
  });

  it('masks a secret variable printed in a container and keeps it out of the SQLite file', async function () {
    const secret = 'ctr-secret-7d1e0b55aa';
    await client.connection.sendRequest(SetVariableRequest, { key: 'ctr_token', value: secret, secret: true });
    const result = await runToEnd(client, {
      content: 'echo "token=$(cronium_get_variable ctr_token)"\n',
      runtime: 'bash',
      target: 'container',
    });
    assert.equal(result.job.status, 'succeeded', result.stderr);
    assert.equal(result.stdout, 'token=***\n');
    const logs = await cronium(home, ['logs', result.job.id]);
    assert.equal(logs.stdout, 'token=***\n');
    assert.equal(databaseContains(home, secret), false, 'the database does not hold the secret in plain text');
  });

  it('times out and cancels container jobs, leaving no container, sidecar or network', async function () {
    const timedOut = await runToEnd(client, { content: 'echo start\nsleep 60\n', runtime: 'bash', target: 'container', timeoutMs: 1500 });
    assert.equal(timedOut.job.status, 'timed_out');
    assert.deepEqual(await jobLeftovers(timedOut.job.id), { containers: [], networks: [], stray: [] });

    const { job } = await client.connection.sendRequest(RunJobRequest, { content: 'echo start\nsleep 60\n', runtime: 'bash', target: 'container' });
    await waitFor('the container job to print', async () => (await getJob(client, job.id)).logLines > 0, 30_000);
    const cancelled = await client.connection.sendRequest(CancelJobRequest, { id: job.id });
    assert.equal(cancelled.status, 'cancelled');
    assert.deepEqual(await jobLeftovers(job.id), { containers: [], networks: [], stray: [] });
  });

  it('runs the next job of a runtime in a warm slot made after the last one, and removes the slots when the daemon stops', async function () {
    const other = makeTempHome();
    let second = await DaemonProcess.start(other);
    try {
      const c = await second.connect();
      const first = await runToEnd(c, { content: 'print("first")\n', runtime: 'python', target: 'container' });
      assert.equal(first.stdout, 'first\n');
      // After the first python job, slots for the next ones are made in the background.
      const warm = await waitFor('two warm python slots', async () => {
        const ids = await warmJobContainers(daemonIdOf(other));
        return ids.length === 2 ? ids : undefined;
      }, 30_000);
      const next = await runToEnd(c, { content: 'import os\nprint("next", os.environ["CRONIUM_JOB_ID"])\ncronium.output({"warm": True})\n', fileName: 'n.py', target: 'container' });
      assert.equal(next.job.status, 'succeeded', next.stderr);
      assert.equal(next.stdout, `next ${next.job.id}\n`);
      assert.ok(warm.includes(next.job.container?.containerId as string), `${next.job.container?.containerId} is one of the warm slots ${warm.join(', ')}`);
      assert.deepEqual((await c.connection.sendRequest(GetJobRequest, { id: next.job.id })).output, { warm: true });
      // Turning warm containers off removes the slots waiting now, and no job makes new ones.
      await waitFor('two warm python slots again', async () => (await warmJobContainers(daemonIdOf(other))).length === 2, 30_000);
      assert.equal((await cronium(other, ['settings', 'set', 'warmContainers', 'false'])).code, 0);
      await waitFor('the warm slots to be removed', async () => {
        const left = await leftovers(`cronium.daemon=${daemonIdOf(other)}`);
        return left.containers.length + left.networks.length === 0;
      }, 20_000);
      assert.equal((await runToEnd(c, { content: 'print(3)\n', runtime: 'python', target: 'container' })).stdout, '3\n');
      assert.deepEqual(await strayResources(daemonIdOf(other)), []);
      assert.deepEqual(await warmJobContainers(daemonIdOf(other)), [], 'no slot made with warm containers off');
      assert.equal((await cronium(other, ['settings', 'set', 'warmContainers', 'true'])).code, 0);
      c.close();
      assert.equal(await second.stop(), 0);
      assert.deepEqual(await leftovers(`cronium.daemon=${daemonIdOf(other)}`), { containers: [], networks: [] });

      // Killed with slots waiting, the daemon removes them at its next start, with no container job to run.
      second = await DaemonProcess.start(other);
      const again = await second.connect();
      assert.equal((await runToEnd(again, { content: 'print(1)\n', runtime: 'python', target: 'container' })).job.status, 'succeeded');
      await waitFor('two warm python slots', async () => (await warmJobContainers(daemonIdOf(other))).length === 2, 30_000);
      again.close();
      await second.kill9();
      second = await DaemonProcess.start(other);
      await waitFor('the killed daemon\'s warm slots to be removed', async () => {
        const left = await leftovers(`cronium.daemon=${daemonIdOf(other)}`);
        return left.containers.length + left.networks.length === 0;
      }, 30_000);
    } finally {
      await second.stop();
      removeHome(other);
    }
  });

  it('after kill -9 re-adopts a running container job, with no line lost or doubled, and cleans up', async function () {
    const ticker = 'for i in $(seq 1 30); do echo "tick $i"; sleep 0.1; done\n';
    // Earlier jobs of this suite left warm bash slots: the job takes one, made before the job was known.
    const warm = await waitFor('a warm bash slot', async () => {
      const ids = await warmJobContainers(daemonIdOf(home));
      return ids.length > 0 ? ids : undefined;
    }, 30_000);
    const { job } = await client.connection.sendRequest(RunJobRequest, { content: ticker, runtime: 'bash', target: 'container' });
    await waitFor('a few ticks', async () => (await getJob(client, job.id)).logLines >= 5, 30_000);
    assert.ok(warm.includes((await getJob(client, job.id)).container?.containerId as string), 'the job runs in a warm slot');
    client.close();
    await daemon.kill9();

    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
    const final = await waitFor('the re-adopted job to end', async () => {
      const j = await getJob(client, job.id);
      return j.status === 'running' || j.status === 'claimed' ? undefined : j;
    }, 60_000);
    assert.equal(final.status, 'succeeded', final.lastError ?? '');
    const logs = await cronium(home, ['logs', job.id]);
    assert.equal(logs.stdout, Array.from({ length: 30 }, (_, i) => `tick ${i + 1}\n`).join(''));
    assert.deepEqual(await jobLeftovers(job.id), { containers: [], networks: [], stray: [] });
  });

  it('falls back to the host with a notice when no Docker engine answers', async function () {
    const other = makeTempHome();
    const noDocker = await DaemonProcess.start(other, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    try {
      const script = writeScript(other, 'hi.sh', 'echo hi\n');
      const run = await cronium(other, ['run', script], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
      assert.equal(run.code, 0);
      assert.equal(run.stdout, 'hi\n');
      assert.match(run.stderr, /cronium: Running on the host: Docker is not reachable/);
      const explicit = await cronium(other, ['run', script, '--target', 'container']);
      assert.equal(explicit.code, 1);
      assert.match(explicit.stderr, /Docker is not reachable/);
    } finally {
      await noDocker.stop();
      removeHome(other);
    }
  });
});
