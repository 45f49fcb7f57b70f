import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import { ContainerError } from '../../../daemon/executors/container/containerErrors';
import { ContainerExecutor, defaultImages } from '../../../daemon/executors/container/containerExecutor';
import { dockerFromEnv } from '../../../daemon/executors/container/dockerHost';
import {
  bashSpec,
  FakeRuntimeApi,
  makeExecutor,
  OutputRecorder,
  removeLabelled,
  assertNoneLabelled,
  runJob,
} from '../../helpers/dockerJobs';
import { dockerProblem, requireService } from '../../helpers/services';

describe('container executor: stop, cleanup and availability', function () {
  this.timeout(90_000);
  let executor: ContainerExecutor;
  let docker: Dockerode;
  let daemonId: string;

  before(async function () {
    requireService(this, 'Docker', await dockerProblem());
    ({ executor, docker, daemonId } = makeExecutor());
  });

  after(async function () {
    if (docker !== undefined) await removeLabelled(docker, `cronium.daemon=${daemonId}`);
  });

  async function assertNothingLeft(jobId: string): Promise<void> {
    await assertNoneLabelled(docker, `cronium.job=${jobId}`);
  }

  it('leaves no container or network behind after a job succeeds or fails', async function () {
    const ok = bashSpec('echo fine\n');
    const failing = bashSpec('echo broken >&2; exit 3\n');
    const [a, b] = await Promise.all([runJob(executor, ok), runJob(executor, failing)]);
    assert.equal(a.result.exitCode, 0);
    assert.equal(b.result.exitCode, 3);
    await assertNothingLeft(ok.jobId);
    await assertNothingLeft(failing.jobId);
  });

  it('stops a running job gracefully: SIGTERM reaches the script, then everything is removed', async function () {
    const spec = bashSpec('trap \'echo "got TERM"; exit 143\' TERM\necho ready\nsleep 60 & wait\n');
    const out = new OutputRecorder();
    const execution = executor.start(spec, out.hooks);
    await out.output('stdout', 'ready');
    const stopped = Date.now();
    execution.stop(5000);
    const result = await execution.done;
    assert.deepEqual(result, { exitCode: 143, signal: 'SIGTERM' });
    assert.equal(out.text('stdout'), 'ready\ngot TERM\n');
    assert.ok(Date.now() - stopped < 5000, 'the job ended on SIGTERM, not after the grace period');
    await assertNothingLeft(spec.jobId);
  });

  it('kills a job that ignores SIGTERM once the grace period is over, and at once with no grace', async function () {
    const stubborn = bashSpec("trap '' TERM\necho ready\nwhile true; do sleep 0.1; done\n");
    const out = new OutputRecorder();
    const execution = executor.start(stubborn, out.hooks);
    await out.output('stdout', 'ready');
    const stopped = Date.now();
    execution.stop(1000);
    assert.deepEqual(await execution.done, { exitCode: 137, signal: 'SIGKILL' });
    const took = Date.now() - stopped;
    assert.ok(took >= 900 && took < 10_000, `killed after the 1 s grace (${took} ms)`);
    await assertNothingLeft(stubborn.jobId);

    const killed = bashSpec('echo ready; exec sleep 60\n');
    const out2 = new OutputRecorder();
    const execution2 = executor.start(killed, out2.hooks);
    await out2.output('stdout', 'ready');
    execution2.stop(0);
    assert.deepEqual(await execution2.done, { exitCode: 137, signal: 'SIGKILL' });
    await assertNothingLeft(killed.jobId);
  });

  it('gives up a job stopped during setup, before its script runs', async function () {
    const spec = bashSpec('echo "should not run"\n');
    const out = new OutputRecorder();
    const execution = executor.start(spec, out.hooks);
    execution.stop(0);
    const result = await execution.done;
    assert.equal(result.exitCode === 0, false, JSON.stringify(result));
    assert.equal(out.text('stdout'), '');
    await assertNothingLeft(spec.jobId);
  });

  it('reports a missing image as a start error that says how to build it, and leaves nothing behind', async function () {
    const spec = bashSpec('true\n', {
      options: { image: 'cronium/does-not-exist:latest', memoryBytes: 512 * 1024 * 1024, nanoCpus: 500_000_000, pidsLimit: 100, network: false },
    });
    const { result, out } = await runJob(executor, spec);
    assert.equal(result.exitCode, null);
    assert.ok(ContainerError.is(result.spawnError, 'image_missing'), String(result.spawnError));
    assert.equal(result.spawnError.message, 'image cronium/does-not-exist:latest is missing — run runtime-images/build');
    assert.equal(out.containerId, undefined, 'onStarted was not called');
    await assertNothingLeft(spec.jobId);
  });

  it('says why Docker is unavailable: engine unreachable, or an image missing', async function () {
    const api = new FakeRuntimeApi();
    const unreachable = new ContainerExecutor({
      docker: dockerFromEnv('/nonexistent/docker.sock'),
      images: defaultImages(),
      runtimeApi: api.handler,
      daemonId,
    });
    const reason = 'Docker is not reachable at /nonexistent/docker.sock — start Docker or set cronium.docker.host';
    assert.deepEqual(await unreachable.available(), { ok: false, reason });
    const { result } = await runJob(unreachable, bashSpec('true\n'));
    assert.ok(ContainerError.is(result.spawnError, 'docker_unreachable'), String(result.spawnError));
    assert.equal(result.spawnError.message, reason);
    const images = defaultImages();
    const noPython = new ContainerExecutor({
      docker,
      images: (kind) => (kind === 'python' ? 'cronium/python-missing:latest' : images(kind)),
      runtimeApi: api.handler,
      daemonId,
    });
    assert.deepEqual(await noPython.available(), {
      ok: false,
      reason: 'image cronium/python-missing:latest is missing — run runtime-images/build',
    });
    assert.deepEqual(await executor.available(), { ok: true });
  });

  it('runs 20 jobs at once, each with its own output, and leaves nothing behind', async function () {
    const specs = Array.from({ length: 20 }, (_, i) => bashSpec(`echo "job ${i}: $CRONIUM_JOB_ID"\n`));
    const runs = await Promise.all(specs.map((spec) => runJob(executor, spec)));
    runs.forEach(({ result, out }, i) => {
      assert.deepEqual(result, { exitCode: 0, signal: null }, `job ${i}: ${out.text('stderr')} ${String(result.spawnError)}`);
      assert.equal(out.text('stdout'), `job ${i}: ${specs[i].jobId}\n`);
    });
    await assertNoneLabelled(docker, `cronium.daemon=${daemonId}`);
  });
});
