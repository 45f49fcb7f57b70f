import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import {
  DeleteWorkflowRequest,
  ExportWorkflowRequest,
  GetWorkflowRequest,
  RegisterWorkflowRequest,
  RunWorkflowRequest,
  SaveWorkflowRequest,
} from '../../daemon/protocol/workflows';
import { DaemonProcess } from '../helpers/daemonProcess';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { bash, runWorkflow, stepsById, WorkflowWatcher, writeWorkflow } from '../helpers/workflows';

describe('workflow files (registered, watched, exported and imported)', function () {
  this.timeout(60_000);
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;
  let watcher: WorkflowWatcher;

  before(async function () {
    home = makeTempHome();
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
    watcher = await WorkflowWatcher.attach(client);
  });

  after(async function () {
    client?.close();
    await daemon?.stop();
    if (home) removeHome(home);
  });

  it('picks up an edit made on disk; an invalid edit is reported with its reasons and the last valid version keeps its schedule', async function () {
    const base = { name: 'watched', triggers: { schedule: { every: '1h' } }, nodes: [bash('a', 'cronium_output 1\n')], edges: [] as unknown[] };
    const file = writeWorkflow(home, base);
    const { workflow } = await client.request(RegisterWorkflowRequest, { path: file });
    assert.equal(workflow.scheduleText, 'every 1h');
    const nextRun = workflow.nextRuns[0];
    assert.ok(nextRun !== undefined);

    // A valid edit, saved the way editors do: a new file renamed over the old one.
    const edited = { ...base, nodes: [...base.nodes, bash('b', 'cronium_output "$(cronium_input)"\n')], edges: [{ from: 'a', to: 'b', when: 'on_success' }] };
    writeFileSync(`${file}.tmp`, JSON.stringify(edited));
    renameSync(`${file}.tmp`, file);
    const taken = await watcher.until('the edit to be taken', () => watcher.workflowChanges.find((w) => w.name === 'watched' && w.document.nodes.length === 2));
    assert.deepEqual(taken.problems, []);
    const run = await runWorkflow(client, watcher, { workflow: 'watched' });
    assert.equal(run.status, 'succeeded');
    assert.equal(stepsById(run).b.output, 1);

    // An invalid edit, written in place.
    writeWorkflow(home, { ...edited, edges: [...edited.edges, { from: 'b', to: 'a', when: 'always' }] });
    const reported = await watcher.until('the invalid edit to be reported', () => watcher.workflowChanges.find((w) => w.name === 'watched' && w.problems.length > 0));
    assert.ok(reported.problems.some((p) => p.message === 'cycle: a → b → a'), JSON.stringify(reported.problems));
    const { workflow: kept } = await client.request(GetWorkflowRequest, { workflow: 'watched' });
    assert.equal(kept.document.nodes.length, 2, 'the last valid version stays');
    assert.equal(kept.document.edges.length, 1);
    assert.equal(kept.scheduleText, 'every 1h');
    assert.equal(kept.nextRuns[0], nextRun, 'its schedule is kept');
    assert.ok(kept.problems.some((p) => p.code === 'cycle'));
    // Run by its file as it is now: refused, naming the cycle.
    await assert.rejects(client.request(RunWorkflowRequest, { path: file }), /cycle: a → b → a/);

    // Fixed again: taken, problems gone.
    writeWorkflow(home, edited);
    await watcher.until('the fix to be taken', () => {
      const last = watcher.workflowChanges.filter((w) => w.name === 'watched').pop();
      return last !== undefined && last.problems.length === 0 ? last : undefined;
    });
  });

  it('runs a workflow by its schedule, and an invalid edit leaves the last valid version firing on schedule', async function () {
    const base = { name: 'ticking', triggers: { schedule: { every: '1s' } }, nodes: [bash('tick', 'cronium_output \'"v1"\'\n')], edges: [] };
    const file = writeWorkflow(home, base);
    await client.request(RegisterWorkflowRequest, { path: file });
    const scheduledRuns = () => watcher.changes.filter((c) => c.step.id === 'tick' && c.step.status === 'succeeded').map((c) => c.runId);
    const first = await watcher.until('a scheduled run', () => scheduledRuns()[0]);
    const run = await watcher.finished(first);
    assert.equal(run.trigger, 'schedule');
    assert.equal(run.steps[0].output, 'v1');

    writeWorkflow(home, { ...base, nodes: [...base.nodes, bash('tick', 'true')] }); // a duplicate id
    await watcher.until('the invalid edit', () => watcher.workflowChanges.find((w) => w.name === 'ticking' && w.problems.some((p) => p.code === 'duplicate_node')));
    const seen = scheduledRuns().length;
    const later = await watcher.until('a scheduled run after the invalid edit', () => scheduledRuns()[seen], 10_000);
    const after = await watcher.finished(later);
    assert.equal(after.trigger, 'schedule');
    assert.deepEqual(after.steps.map((s) => s.id), ['tick'], 'the last valid version');
    await client.request(DeleteWorkflowRequest, { workflow: 'ticking' });
  });

  it('exports a workflow saved elsewhere to a file and imports it back, round trip exact', async function () {
    const document = {
      edges: [{ when: 'on_failure', to: 'report', from: 'build' }],
      name: 'made-elsewhere',
      nodes: [
        { position: { y: 40, x: 10 }, target: 'local', script: { content: 'make', runtime: 'bash' }, id: 'build' },
        { id: 'report', http: { url: 'https://example.com/hook', method: 'POST' } },
      ],
    };
    const { workflow } = await client.request(SaveWorkflowRequest, { document });
    assert.equal(workflow.file, null);
    const file = join(home, 'made-elsewhere.cronium.json');
    const exported = await client.request(ExportWorkflowRequest, { workflow: 'made-elsewhere', path: file });
    const text = readFileSync(file, 'utf8');
    assert.equal(text, exported.text);
    assert.match(text, /^\{\n {2}"name": "made-elsewhere",\n {2}"nodes": \[\n {4}\{\n {6}"id": "build",/);
    const { workflow: imported } = await client.request(RegisterWorkflowRequest, { path: file });
    assert.equal(imported.id, workflow.id, 'the same workflow, now with its file');
    assert.equal(imported.file, file);
    assert.deepEqual(imported.document, workflow.document);
    const again = await client.request(ExportWorkflowRequest, { workflow: imported.id });
    assert.equal(again.text, text, 'export → import → export gives the same bytes');
  });
});
