import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import * as z from 'zod';
import { CancelJobRequest, RunJobRequest } from '../../daemon/protocol/jobs';
import { DaemonStatusRequest } from '../../daemon/protocol/lifecycle';
import { cronium } from '../helpers/cli';
import { DaemonProcess, getJob, runToEnd } from '../helpers/daemonProcess';
import { daemonIdOf, leftovers, strayResources } from '../helpers/dockerLeftovers';
import { dockerProblem, dockerRequest, requireService } from '../helpers/services';
import { startEngineProxy, type EngineProxy } from '../helpers/engineProxy';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';

/** The daemon's bound on setting a job up, shortened for these tests (default 60 s). */
const SETUP_TIMEOUT_MS = 6000;
const CREATE = /^POST \S*\/containers\/create/;
const LIST = /^GET \S*\/containers\/json/;
/** How long the engine holds the recovery of the last test (its daemon's setup bound). */
const RECOVERY_HOLD_MS = 12_000;

describe('container jobs on a Docker engine that hangs', function () {
  this.timeout(120_000);
  let home: string;
  let engine: EngineProxy;
  let daemon: DaemonProcess | undefined;
  let client: DaemonClient | undefined;
  let next: DaemonClient | undefined;
  const daemonId = () => daemonIdOf(home);

  async function startDaemon(): Promise<DaemonClient> {
    daemon = await DaemonProcess.start(home, { CRONIUM_DOCKER_SETUP_TIMEOUT_MS: String(SETUP_TIMEOUT_MS) });
    client = await daemon.connect();
    return client;
  }

  before(async function () {
    requireService(this, 'Docker', await dockerProblem());
    home = makeTempHome();
    engine = await startEngineProxy(join(home, 'engine.sock'), CREATE);
    await startDaemon();
    const set = await cronium(home, ['settings', 'set', 'dockerHost', engine.address]);
    assert.equal(set.code, 0, set.stderr);
  });

  after(async function () {
    client?.close();
    next?.close();
    await daemon?.stop();
    await engine?.close();
    // Whatever a failed test left on the engine, by this home's label.
    const left = home === undefined ? { containers: [], networks: [] } : await leftovers(`cronium.daemon=${daemonId()}`);
    for (const id of left.containers) await dockerRequest('DELETE', `/containers/${id}?force=1`);
    for (const id of left.networks) await dockerRequest('DELETE', `/networks/${id}`);
    if (home !== undefined) removeHome(home);
  });

  it('fails a job whose containers the engine never creates, says why, and leaves nothing behind', async function () {
    const started = Date.now();
    const result = await runToEnd(client as DaemonClient, { content: 'echo never\n', runtime: 'bash', target: 'container' });
    const elapsed = Date.now() - started;
    assert.equal(result.job.status, 'failed');
    assert.match(
      result.job.lastError ?? '',
      /^Docker at \S+engine\.sock did not set up the job's containers within 6 s — is the engine overloaded or hung\?/,
    );
    assert.equal(result.job.error?.kind, 'spawn_failed');
    assert.equal(result.stdout, '');
    assert.ok(engine.stalled >= 2, `the engine held the creates (${engine.stalled})`);
    assert.ok(elapsed >= SETUP_TIMEOUT_MS && elapsed < SETUP_TIMEOUT_MS + 10_000, `failed after ${elapsed} ms`);
    // After the job, the daemon makes two warm slots: their creates hang too (2 per slot), and their
    // networks exist meanwhile. The slots are given up after the same bound, and all is removed.
    await waitFor('the warm slots\' creates to be held', () => engine.stalled >= 6, 20_000);
    await waitFor('the warm slots\' networks', async () => (await leftovers(`cronium.daemon=${daemonId()}`)).networks.length === 2, 20_000);
    assert.deepEqual(await strayResources(daemonId(), 30_000), []);
    assert.deepEqual(await leftovers(`cronium.daemon=${daemonId()}`), { containers: [], networks: [] });
    // The rest of the suite makes no warm slots: a job would first wait for the one being made.
    const off = await cronium(home, ['settings', 'set', 'warmContainers', 'false']);
    assert.equal(off.code, 0, off.stderr);
  });

  it('cancels a job that waits on the engine without waiting for the setup bound', async function () {
    const before = engine.stalled;
    const { job } = await (client as DaemonClient).connection.sendRequest(RunJobRequest, {
      content: 'echo never\n',
      runtime: 'bash',
      target: 'container',
    });
    await waitFor('the engine to hold the job\'s creates', () => engine.stalled > before, 20_000);
    const asked = Date.now();
    const cancelled = await (client as DaemonClient).connection.sendRequest(CancelJobRequest, { id: job.id });
    const took = Date.now() - asked;
    assert.equal(cancelled.status, 'cancelled');
    assert.ok(took < SETUP_TIMEOUT_MS, `cancelled after ${took} ms`);
    assert.deepEqual(await strayResources(daemonId(), 30_000), []);
  });

  it('runs container jobs again once the engine answers, in the same daemon', async function () {
    engine.release();
    const result = await runToEnd(client as DaemonClient, { content: 'echo back\n', runtime: 'bash', target: 'container' });
    assert.equal(result.job.status, 'succeeded', result.job.lastError ?? '');
    assert.equal(result.stdout, 'back\n');
  });

  it('answers at once while it recovers a lost job from an engine that holds the list, and says it is recovering', async function () {
    const c = client as DaemonClient;
    const { job } = await c.connection.sendRequest(RunJobRequest, { content: 'echo up\nsleep 60\n', runtime: 'bash', target: 'container' });
    await waitFor('the job to print', async () => (await getJob(c, job.id)).logLines > 0, 30_000);
    c.close();
    await (daemon as DaemonProcess).kill9();
    await engine.close();
    engine = await startEngineProxy(join(home, 'engine.sock'), LIST);

    // A longer bound than the suite's, so that the CLI has time to start while recovery is held.
    const restarted = Date.now();
    daemon = DaemonProcess.launch(home, { CRONIUM_DOCKER_SETUP_TIMEOUT_MS: String(RECOVERY_HOLD_MS) });
    await waitFor('the engine to hold the list of lost jobs', () => engine.stalled >= 1, 20_000);
    const asked = Date.now();
    const status = await cronium(home, ['daemon', 'status', '--json']);
    const answeredIn = Date.now() - asked;
    assert.equal(status.code, 0, status.stderr);
    const recovering = z.object({ running: z.literal(true), state: z.string() }).parse(JSON.parse(status.stdout));
    assert.equal(recovering.state, 'recovering');
    console.log(`      [cronium daemon status answered in ${answeredIn} ms while recovering]`);
    assert.ok(answeredIn < 3000, `cronium daemon status took ${answeredIn} ms`);
    const text = await cronium(home, ['daemon', 'status']);
    assert.match(text.stdout, /^state: +recovering jobs that were running when it last stopped/m);
    const listed = await cronium(home, ['jobs', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`"id": "${job.id}"`));

    // A job submitted meanwhile is accepted and waits: nothing is claimed before recovery is over.
    next = await (daemon as DaemonProcess).connect();
    const { job: queued } = await next.request(RunJobRequest, { content: 'echo after\n', runtime: 'bash', target: 'local' });
    assert.equal(queued.status, 'queued');
    assert.equal((await getJob(next, queued.id)).status, 'queued');

    await waitFor('recovery to end', async () => (await next?.request(DaemonStatusRequest))?.state === 'ready', RECOVERY_HOLD_MS + 10_000);
    assert.ok(Date.now() - restarted >= RECOVERY_HOLD_MS, 'recovery was held by the engine');
    const lost = await getJob(next, job.id);
    assert.equal(lost.status, 'failed');
    assert.equal(lost.error?.kind, 'daemon_lost');
    assert.match(lost.lastError ?? '', /could not find it again: Docker at \S+ did not list the containers of lost jobs within 12 s/);
    const ran = await waitFor('the queued job to run', async () => {
      const j = await getJob(next as DaemonClient, queued.id);
      return j.status === 'succeeded' ? j : undefined;
    });
    assert.equal(ran.exitCode, 0);
    const ready = await cronium(home, ['daemon', 'status', '--json']);
    assert.equal(z.object({ state: z.string() }).parse(JSON.parse(ready.stdout)).state, 'ready');
  });

  it('stops at once on SIGTERM while it recovers, and leaves the lost job to the next start, which re-adopts it', async function () {
    engine.release();
    const c = await (daemon as DaemonProcess).connect();
    const { job } = await c.request(RunJobRequest, { content: 'echo up\nsleep 60\n', runtime: 'bash', target: 'container' });
    await waitFor('the job to print', async () => (await getJob(c, job.id)).logLines > 0, 30_000);
    c.close();
    await (daemon as DaemonProcess).kill9();
    await engine.close();
    engine = await startEngineProxy(join(home, 'engine.sock'), LIST);

    const recovering = DaemonProcess.launch(home, { CRONIUM_DOCKER_SETUP_TIMEOUT_MS: String(RECOVERY_HOLD_MS) });
    daemon = recovering;
    await waitFor('the engine to hold the list of lost jobs', () => engine.stalled >= 1, 20_000);
    const signalled = Date.now();
    assert.equal(await recovering.stop(), 0);
    const took = Date.now() - signalled;
    assert.ok(took < 5000, `stopped ${took} ms after SIGTERM (the engine holds recovery for ${RECOVERY_HOLD_MS} ms)`);
    assert.equal(existsSync(join(home, 'daemon.sock')), false);
    assert.equal(existsSync(join(home, 'daemon.pid')), false);

    engine.release();
    next = await startDaemon();
    await waitFor('recovery to end', async () => (await next?.request(DaemonStatusRequest))?.state === 'ready', 30_000);
    const adopted = await getJob(next, job.id);
    assert.equal(adopted.status, 'running', adopted.lastError ?? '');
    const cancelled = await next.request(CancelJobRequest, { id: job.id }, { timeoutMs: 'unbounded' });
    assert.equal(cancelled.status, 'cancelled');
    assert.deepEqual(await strayResources(daemonId(), 30_000), []);
  });
});
