import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type Dockerode from 'dockerode';
import type { ExecutionSpec, LostExecution, RecoveredExecution } from '../../../daemon/executors/executor';
import type { LogStream } from '../../../daemon/protocol/dto';
import {
  bashSpec,
  FakeRuntimeApi,
  makeExecutor,
  OutputRecorder,
  removeLabelled,
  assertNoneLabelled,
  resourcesLabelled,
  testDaemonId,
} from '../../helpers/dockerJobs';
import { dockerProblem, requireService } from '../../helpers/services';

const ROOT = join(__dirname, '..', '..', '..');

/** What the first daemon had stored when it died: the bytes its hooks delivered, per stream. */
interface Crash {
  containerId: string;
  stored: Record<LogStream, Buffer>;
}

/**
 * Runs the job in a child process (a daemon of its own) and kills it with SIGKILL as soon as `enough`
 * holds for what it delivered so far; nothing of it gets to clean up.
 */
function startThenCrash(
  daemonId: string,
  spec: ExecutionSpec,
  enough: (stdout: string, requests: string[]) => boolean,
): Promise<Crash> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'crashingDaemon.ts'), JSON.stringify({ daemonId, spec })],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const stored: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  const requests: string[] = [];
  let containerId: string | undefined;
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (child.signalCode !== null || child.killed) return; // already dead: these were never stored
      const event = JSON.parse(line) as { started?: string; stream?: LogStream; b64?: string; request?: string };
      if (event.started !== undefined) containerId = event.started;
      if (event.request !== undefined) requests.push(event.request);
      if (event.stream !== undefined && event.b64 !== undefined) stored[event.stream].push(Buffer.from(event.b64, 'base64'));
      if (containerId !== undefined && enough(Buffer.concat(stored.stdout).toString('utf8'), requests)) {
        child.kill('SIGKILL');
        resolve({ containerId, stored: { stdout: Buffer.concat(stored.stdout), stderr: Buffer.concat(stored.stderr) } });
      }
    });
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`the first daemon ended on its own (${signal ?? code})`));
    });
  });
}

/** The lost job as the restarted daemon's store describes it. */
function lostJob(jobId: string, crash: Crash | undefined): LostExecution {
  return {
    executionId: jobId,
    jobId,
    handle: crash?.containerId === undefined ? null : { containerId: crash.containerId },
    storedBytes: { stdout: crash?.stored.stdout.length ?? 0, stderr: crash?.stored.stderr.length ?? 0 },
  };
}

describe('container executor: recovery after a daemon crash', function () {
  this.timeout(60_000);
  let docker: Dockerode;
  const daemonIds: string[] = [];

  before(async function () {
    requireService(this, 'Docker', await dockerProblem());
  });

  after(async function () {
    for (const id of daemonIds) await removeLabelled(docker, `cronium.daemon=${id}`);
  });

  function daemonHome(): string {
    const id = testDaemonId();
    daemonIds.push(id);
    return id;
  }

  it('re-adopts a running job: output resumes with no gap and no duplicate, and the runtime API answers again', async function () {
    const daemonId = daemonHome();
    const expected = Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join('');
    const spec = bashSpec(
      'for i in $(seq 1 30); do echo "line $i"; echo "err $i" >&2; sleep 0.1; done\n' +
        'curl -sS -m 10 -H "Authorization: Bearer $CRONIUM_EXECUTION_TOKEN" $CRONIUM_RUNTIME_API/executions/$CRONIUM_EXECUTION_ID/context\n',
    );
    const crash = await startThenCrash(daemonId, spec, (stdout) => stdout.includes('line 5\n'));

    const second = makeExecutor({ daemonId, api: new FakeRuntimeApi() });
    docker = second.docker;
    const out = new OutputRecorder();
    const [recovered] = await second.executor.recover(
      [lostJob(spec.jobId, crash)],
      () => out.hooks,
    );
    assert.equal(recovered.state, 'adopted');
    const result = await (recovered as Extract<RecoveredExecution, { state: 'adopted' }>).execution.done;
    assert.deepEqual(result, { exitCode: 0, signal: null });

    const stdout = Buffer.concat([crash.stored.stdout, out.bytes('stdout')]).toString('utf8');
    const apiAnswer = JSON.stringify({ fake: true, method: 'GET', path: `/executions/${spec.env.CRONIUM_EXECUTION_ID}/context` });
    assert.equal(stdout, expected + apiAnswer, out.text("stderr"));
    const stderr = Buffer.concat([crash.stored.stderr, out.bytes('stderr')]).toString('utf8');
    assert.equal(stderr, Array.from({ length: 30 }, (_, i) => `err ${i + 1}\n`).join(''));
    assert.ok(second.api.requests.some((r) => r.headers.authorization === `Bearer ${spec.env.CRONIUM_EXECUTION_TOKEN}`));
    await assertNoneLabelled(docker, `cronium.job=${spec.jobId}`);
  });

  it('answers a runtime API request that was in flight when the daemon died', async function () {
    const daemonId = daemonHome();
    const spec = bashSpec('curl -s -m 25 $CRONIUM_RUNTIME_API/executions/$CRONIUM_EXECUTION_ID/variables/x; echo; echo end\n');
    const path = `/executions/${spec.env.CRONIUM_EXECUTION_ID}/variables/x`;
    const crash = await startThenCrash(daemonId, spec, (_, requests) => requests.includes(path));
    const second = makeExecutor({ daemonId });
    docker = second.docker;
    const out = new OutputRecorder();
    const started = Date.now();
    const [recovered] = await second.executor.recover(
      [lostJob(spec.jobId, crash)],
      () => out.hooks,
    );
    assert.equal(recovered.state, 'adopted');
    assert.deepEqual(await (recovered as Extract<RecoveredExecution, { state: 'adopted' }>).execution.done, { exitCode: 0, signal: null });
    assert.equal(out.text('stdout'), `${JSON.stringify({ fake: true, method: 'GET', path })}\nend\n`);
    assert.ok(Date.now() - started < 20_000, 'answered after the re-attach, not after the relay timeout');
  });

  it('stops a re-adopted job like a fresh one', async function () {
    const daemonId = daemonHome();
    const spec = bashSpec('echo ready; exec sleep 60\n');
    const crash = await startThenCrash(daemonId, spec, (stdout) => stdout.includes('ready'));
    const second = makeExecutor({ daemonId });
    docker = second.docker;
    const [recovered] = await second.executor.recover(
      [lostJob(spec.jobId, crash)],
      () => new OutputRecorder().hooks,
    );
    assert.equal(recovered.state, 'adopted');
    const { execution } = recovered as Extract<RecoveredExecution, { state: 'adopted' }>;
    execution.stop(0);
    assert.deepEqual(await execution.done, { exitCode: 137, signal: 'SIGKILL' });
    await assertNoneLabelled(docker, `cronium.job=${spec.jobId}`);
  });

  it('reports a job that exited while the daemon was down, with the rest of its output, and cleans up', async function () {
    const daemonId = daemonHome();
    // Bytes that are not UTF-8 too: the engine's log must give back exactly what the job wrote.
    const spec = bashSpec('for i in 1 2 3 4 5; do printf "line $i \\xff\\xfe\\n"; sleep 0.1; done; echo done >&2; exit 4\n');
    const crash = await startThenCrash(daemonId, spec, (stdout) => stdout.includes('line 1 '));
    const second = makeExecutor({ daemonId });
    docker = second.docker;
    // The container ends on its own while no daemon runs.
    await docker.getContainer(crash.containerId).wait();

    const out = new OutputRecorder();
    const [recovered] = await second.executor.recover(
      [lostJob(spec.jobId, crash)],
      () => out.hooks,
    );
    assert.deepEqual(recovered, { executionId: spec.jobId, state: 'exited', result: { exitCode: 4, signal: null } });
    const stdout = Buffer.concat([crash.stored.stdout, out.bytes('stdout')]);
    const expected = Buffer.concat([1, 2, 3, 4, 5].map((i) => Buffer.concat([Buffer.from(`line ${i} `), Buffer.from([0xff, 0xfe, 0x0a])])));
    assert.ok(stdout.equals(expected), `got ${JSON.stringify(stdout.toString('latin1'))}`);
    assert.equal(Buffer.concat([crash.stored.stderr, out.bytes('stderr')]).toString('utf8'), 'done\n');
    await assertNoneLabelled(docker, `cronium.job=${spec.jobId}`);
  });

  it('reports jobs with no container as gone and removes orphans of this daemon only', async function () {
    const daemonId = daemonHome();
    const otherDaemon = daemonHome();
    const second = makeExecutor({ daemonId });
    docker = second.docker;
    const orphanLabels = { 'cronium.daemon': daemonId, 'cronium.job': 'job_orphan00000', 'cronium.role': 'sidecar' };
    const otherLabels = { ...orphanLabels, 'cronium.daemon': otherDaemon };
    const [orphanNet, otherNet] = await Promise.all([
      docker.createNetwork({ Name: `${daemonId}-orphan`, Internal: true, Labels: { ...orphanLabels, 'cronium.role': 'network' } }),
      docker.createNetwork({ Name: `${otherDaemon}-other`, Internal: true, Labels: { ...otherLabels, 'cronium.role': 'network' } }),
    ]);
    const [orphan, other] = await Promise.all([
      docker.createContainer({ Image: 'cronium/bash', Cmd: ['sleep', '60'], Labels: orphanLabels, HostConfig: { NetworkMode: orphanNet.id } }),
      docker.createContainer({ Image: 'cronium/bash', Cmd: ['sleep', '60'], Labels: otherLabels, HostConfig: { NetworkMode: otherNet.id } }),
    ]);
    await Promise.all([orphan.start(), other.start()]);

    const recovered = await second.executor.recover(
      [lostJob('job_gone00000000', undefined)],
      () => new OutputRecorder().hooks,
    );
    assert.deepEqual(recovered, [{ executionId: 'job_gone00000000', state: 'gone' }]);
    await assertNoneLabelled(docker, `cronium.daemon=${daemonId}`);
    assert.deepEqual(await resourcesLabelled(docker, `cronium.daemon=${otherDaemon}`), {
      containers: [other.id],
      networks: [otherNet.id],
    });
  });
});
