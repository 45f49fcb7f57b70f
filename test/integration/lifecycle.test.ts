import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancelJobRequest, RunJobRequest } from '../../daemon/protocol/jobs';
import { ShutdownRequest } from '../../daemon/protocol/lifecycle';
import { UpdateSettingsRequest } from '../../daemon/protocol/settings';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { DaemonProcess, getJob } from '../helpers/daemonProcess';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { groupAlive, waitFor } from '../helpers/wait';

async function startRunning(client: DaemonClient, content: string): Promise<{ id: string; pid: number }> {
  const { job } = await client.connection.sendRequest(RunJobRequest, { content, runtime: 'bash', target: 'local' });
  return waitFor(`job ${job.id} to print`, async () => {
    const j = await getJob(client, job.id);
    return j.status === 'running' && j.logLines > 0 ? { id: j.id, pid: j.pid as number } : undefined;
  });
}

describe('daemon lifecycle and crash safety', function () {
  let home: string;

  beforeEach(function () {
    home = makeTempHome();
  });

  afterEach(function () {
    removeHome(home);
  });

  it('writes its own log under logs/', async function () {
    const daemon = await DaemonProcess.start(home);
    await daemon.stop();
    const log = readFileSync(join(home, 'logs', 'daemon.log'), 'utf8');
    assert.match(log, /serving: pid \d+/);
    assert.match(log, /stopped/);
  });

  it('on SIGTERM cancels running jobs, records them, removes its socket and exits 0', async function () {
    const daemon = await DaemonProcess.start(home);
    const client = await daemon.connect();
    const running = await startRunning(client, 'echo started\nsleep 60\n');
    client.close();
    assert.equal(await daemon.stop(), 0);
    assert.equal(groupAlive(running.pid), false);
    assert.equal(existsSync(join(home, 'daemon.sock')), false);
    assert.equal(existsSync(join(home, 'daemon.pid')), false);

    const again = await DaemonProcess.start(home);
    const c2 = await again.connect();
    const job = await getJob(c2, running.id);
    assert.equal(job.status, 'cancelled');
    assert.equal(job.error?.kind, 'daemon_shutdown');
    c2.close();
    await again.stop();
  });

  it('stops on lifecycle/shutdown', async function () {
    const daemon = await DaemonProcess.start(home);
    const client = await daemon.connect();
    await client.connection.sendRequest(ShutdownRequest);
    assert.equal(await daemon.exited, 0);
    client.close();
  });

  it('kills jobs at once on a second signal instead of waiting for the grace period', async function () {
    const daemon = await DaemonProcess.start(home);
    const client = await daemon.connect();
    await client.connection.sendRequest(UpdateSettingsRequest, { killGraceMs: 20_000 });
    const running = await startRunning(client, 'trap "" TERM\necho started\nwhile true; do sleep 0.1; done\n');
    client.close();
    const started = Date.now();
    daemon.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(daemon.running, true, 'the first signal waits for the job');
    daemon.child.kill('SIGTERM');
    await daemon.exited;
    assert.ok(Date.now() - started < 5000, 'exited long before the 20 s grace');
    assert.equal(groupAlive(running.pid), false);
  });

  it('after kill -9 mid-job, the next start leaves no job running and runs the queued ones', async function () {
    const daemon = await DaemonProcess.start(home);
    const client = await daemon.connect();
    await client.connection.sendRequest(UpdateSettingsRequest, { concurrency: 1 });
    const running = await startRunning(client, 'echo started\nsleep 60\n');
    const { job: queued } = await client.connection.sendRequest(RunJobRequest, { content: 'echo later\n', runtime: 'bash', target: 'local' });
    client.close();
    await daemon.kill9();

    const restarted = await DaemonProcess.start(home);
    const c2 = await restarted.connect();
    const lost = await getJob(c2, running.id);
    assert.equal(lost.status, 'failed');
    assert.equal(lost.error?.kind, 'daemon_lost');
    assert.equal(lost.logLines, 1, 'the line printed before the crash is kept');
    assert.ok(lost.finishedAt);
    assert.equal(groupAlive(running.pid), false, "the orphaned job's processes were ended");
    const later = await waitFor('the queued job to run', async () => {
      const j = await getJob(c2, queued.id);
      return j.status === 'succeeded' ? j : undefined;
    });
    assert.equal(later.exitCode, 0);
    await assert.rejects(c2.connection.sendRequest(CancelJobRequest, { id: running.id }));
    c2.close();
    await restarted.stop();
  });
});
