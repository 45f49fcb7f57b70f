import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { GetJobRequest } from '../../daemon/protocol/jobs';
import { GetWorkflowRequest, GetWorkflowRunRequest, RegisterWorkflowRequest, RunWorkflowRequest } from '../../daemon/protocol/workflows';
import { DaemonProcess } from '../helpers/daemonProcess';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';
import { bash, stepsById, WorkflowWatcher, writeWorkflow } from '../helpers/workflows';

describe('workflow runs across a daemon restart', function () {
  this.timeout(90_000);
  let home: string;
  let daemon: DaemonProcess | undefined;
  let client: DaemonClient | undefined;

  beforeEach(function () {
    home = makeTempHome();
  });

  afterEach(async function () {
    client?.close();
    await daemon?.stop();
    removeHome(home);
  });

  /** A run whose first step waits for a file, so the test decides when it ends. */
  async function startRun(): Promise<{ runId: string; gate: string; watcher: WorkflowWatcher }> {
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
    const watcher = await WorkflowWatcher.attach(client);
    const gate = join(home, 'gate');
    const file = writeWorkflow(home, {
      name: 'long',
      nodes: [
        bash('wait', `echo waiting\nwhile [ ! -e ${gate} ]; do sleep 0.05; done\ncronium_output '{"waited": true}'\n`),
        bash('after', 'cronium_output "$(cronium_input)"\n'),
      ],
      edges: [{ from: 'wait', to: 'after', when: 'on_success' }],
    });
    const { run } = await client.request(RunWorkflowRequest, { path: file });
    await watcher.step(run.id, 'wait', 'running');
    return { runId: run.id, gate, watcher };
  }

  async function restart(): Promise<void> {
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
  }

  /** The run once it ended. Polled: it may end while the restarted daemon starts, before anyone can subscribe. */
  function ended(runId: string) {
    return waitFor('the run to end', async () => {
      const { run } = await (client as DaemonClient).request(GetWorkflowRunRequest, { run: runId });
      return run.status === 'running' ? undefined : run;
    }, 30_000, 100);
  }

  it('after the daemon was killed, records the lost step job and runs the step again: the run goes on to succeed', async function () {
    const { runId, gate } = await startRun();
    const before = stepsById((await (client as DaemonClient).request(GetWorkflowRunRequest, { run: runId })).run).wait;
    await (daemon as DaemonProcess).kill9();
    client?.close();
    await restart();
    writeFileSync(gate, '');
    const run = await ended(runId);
    const steps = stepsById(run);
    assert.equal(run.status, 'succeeded');
    // A local process cannot be re-adopted (its pipes died with the daemon): its job is recorded lost.
    const lost = await (client as DaemonClient).request(GetJobRequest, { id: before.jobId as string });
    assert.equal(lost.status, 'failed');
    assert.equal(lost.error?.kind, 'daemon_lost');
    assert.equal(steps.wait.attempt, 2, 'the step ran again');
    assert.notEqual(steps.wait.jobId, before.jobId);
    assert.deepEqual(steps.after.output, { waited: true });
  });

  it('runs a step a daemon stop cancelled again after the restart, with its recorded input, and the run is never left running', async function () {
    const { runId, gate } = await startRun();
    const before = stepsById((await (client as DaemonClient).request(GetWorkflowRunRequest, { run: runId })).run).wait;
    client?.close();
    await (daemon as DaemonProcess).stop();
    writeFileSync(gate, '');
    assert.ok(existsSync(gate));
    await restart();
    const run = await ended(runId);
    const steps = stepsById(run);
    assert.equal(run.status, 'succeeded');
    assert.equal(steps.wait.attempt, 2, 'run again');
    assert.notEqual(steps.wait.jobId, before.jobId);
    assert.deepEqual(steps.after.output, { waited: true });
  });

  it('reads a registered file again at start: an edit made while the daemon was down is taken', async function () {
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
    const file = writeWorkflow(home, { name: 'offline-edit', nodes: [bash('one', 'true')], edges: [] });
    await client.request(RegisterWorkflowRequest, { path: file });
    client.close();
    await daemon.stop();
    writeWorkflow(home, { name: 'offline-edit', nodes: [bash('one', 'true'), bash('two', 'true')], edges: [{ from: 'one', to: 'two', when: 'always' }] });
    await restart();
    const { workflow } = await (client as DaemonClient).request(GetWorkflowRequest, { workflow: 'offline-edit' });
    assert.deepEqual(workflow.document.nodes.map((n) => n.id), ['one', 'two']);
  });
});
