import assert from 'node:assert/strict';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { GetJobRequest } from '../../daemon/protocol/jobs';
import { GetWorkflowRunRequest, RunWorkflowRequest } from '../../daemon/protocol/workflows';
import { DaemonProcess } from '../helpers/daemonProcess';
import { daemonIdOf, strayResources } from '../helpers/dockerLeftovers';
import { dockerProblem, requireService } from '../helpers/services';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';
import { bash, runWorkflow, stepsById, WorkflowWatcher, writeWorkflow } from '../helpers/workflows';

describe('workflow steps on a container target and on the host in one run', function () {
  this.timeout(120_000);
  let home: string;
  let daemon: DaemonProcess | undefined;
  let client: DaemonClient | undefined;

  before(async function () {
    requireService(this, 'Docker', await dockerProblem());
    home = makeTempHome();
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
  });

  after(async function () {
    client?.close();
    await daemon?.stop();
    if (home) removeHome(home);
  });

  it('runs each step on its own target and passes the container step output to the host step', async function () {
    const c = client as DaemonClient;
    const watcher = await WorkflowWatcher.attach(c);
    const file = writeWorkflow(home, {
      name: 'mixed',
      nodes: [
        { id: 'boxed', script: { runtime: 'bash', content: 'cronium_output "{\\"uid\\": $(id -u), \\"in\\": $(cronium_input)}"\n' }, target: 'container' },
        bash('host', 'cronium_output "{\\"got\\": $(cronium_input), \\"host\\": \\"$(hostname)\\"}"\n'),
      ],
      edges: [{ from: 'boxed', to: 'host', when: 'on_success' }],
    });
    const run = await runWorkflow(c, watcher, { path: file, input: 5 }, 90_000);
    const steps = stepsById(run);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.steps.map((s) => [s.id, s.status, s.reason])));
    assert.deepEqual(steps.boxed.output, { uid: 1000, in: 5 }, 'the container step ran as uid 1000 with the run input');
    const boxed = await c.request(GetJobRequest, { id: steps.boxed.jobId as string });
    const host = await c.request(GetJobRequest, { id: steps.host.jobId as string });
    assert.equal(boxed.target, 'container');
    assert.match(boxed.container?.containerId ?? '', /^[0-9a-f]{64}$/);
    assert.equal(host.target, 'local');
    assert.deepEqual((steps.host.output as { got: unknown }).got, { uid: 1000, in: 5 });
    assert.deepEqual(await strayResources(daemonIdOf(home)), []);
  });

  it('re-adopts a container step after the daemon was killed: the same job goes on and the run succeeds', async function () {
    const c = client as DaemonClient;
    const watcher = await WorkflowWatcher.attach(c);
    const file = writeWorkflow(home, {
      name: 'survivor',
      nodes: [
        { id: 'boxed', script: { runtime: 'bash', content: 'echo started\nsleep 4\ncronium_output \'{"done": true}\'\n' }, target: 'container' },
        bash('host', 'cronium_output "$(cronium_input)"\n'),
      ],
      edges: [{ from: 'boxed', to: 'host', when: 'on_success' }],
    });
    const { run } = await c.request(RunWorkflowRequest, { path: file });
    const step = await watcher.step(run.id, 'boxed', 'running');
    await waitFor('the container step to print', async () => (await c.request(GetJobRequest, { id: step.jobId as string })).logLines > 0, 60_000);
    await (daemon as DaemonProcess).kill9();
    c.close();
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
    const after = client;
    const done = await waitFor('the run to end', async () => {
      const { run: now } = await after.request(GetWorkflowRunRequest, { run: run.id });
      return now.status === 'running' ? undefined : now;
    }, 60_000, 200);
    const steps = stepsById(done);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.steps.map((s) => [s.id, s.status, s.reason])));
    assert.equal(steps.boxed.jobId, step.jobId, 'the same job: its container was re-adopted');
    assert.equal(steps.boxed.attempt, 1);
    assert.deepEqual(steps.host.output, { done: true });
  });
});
