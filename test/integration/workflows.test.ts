import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ResponseError } from 'vscode-jsonrpc';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import type { ErrorData } from '../../daemon/protocol/errors';
import type { JobDto } from '../../daemon/protocol/dto';
import { CreateEventRequest } from '../../daemon/protocol/events';
import { GetJobRequest, ListJobsRequest } from '../../daemon/protocol/jobs';
import {
  CancelWorkflowRunRequest,
  DeleteWorkflowRequest,
  DryRunWorkflowRequest,
  ResumeWorkflowRunRequest,
  RunWorkflowRequest,
  ValidateWorkflowRequest,
  WorkflowHistoryRequest,
  type WorkflowIssue,
} from '../../daemon/protocol/workflows';
import { DaemonProcess } from '../helpers/daemonProcess';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { processAlive, waitFor } from '../helpers/wait';
import { bash, runWorkflow, stepsById, WorkflowWatcher, writeWorkflow } from '../helpers/workflows';

async function refusal(promise: Promise<unknown>): Promise<ResponseError<ErrorData>> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof ResponseError) return e as ResponseError<ErrorData>;
    throw e;
  }
  assert.fail('the request was accepted');
}

/** The jobs of a workflow's step, by the name the engine gives them (`workflow/node`), oldest first. */
async function jobsOf(client: DaemonClient, workflow: string, node: string): Promise<JobDto[]> {
  const { jobs } = await client.request(ListJobsRequest, { limit: 1000 });
  return jobs.filter((job) => job.name === `${workflow}/${node}`).reverse();
}

describe('workflow engine (real daemon, real SQLite, local steps)', function () {
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

  it('runs the start nodes in parallel with the input, gives each step its predecessor output, and a fan-in an object keyed by node id', async function () {
    const file = writeWorkflow(home, {
      name: 'data-flow',
      nodes: [
        bash('a', 'n=$(cronium_input | jq .n)\nsleep 0.3\ncronium_output "{\\"a\\": $((n + 1))}"\n'),
        bash('b', 'sleep 0.3\ncronium_output "{\\"b\\": $(cronium_input | jq .n)}"\n'),
        bash('one', 'cronium_output "$(cronium_input)"\n'),
        bash('join', 'cronium_output "$(cronium_input)"\n'),
      ],
      edges: [
        { from: 'a', to: 'one', when: 'on_success' },
        { from: 'a', to: 'join', when: 'on_success' },
        { from: 'b', to: 'join', when: 'always' },
      ],
    });
    const run = await runWorkflow(client, watcher, { path: file, input: { n: 41 } });
    const steps = stepsById(run);
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(steps.a.input, { n: 41 });
    assert.deepEqual(steps.b.input, { n: 41 });
    assert.deepEqual(steps.one.input, { a: 42 }, 'one predecessor: its output as it is');
    assert.deepEqual(steps.join.input, { a: { a: 42 }, b: { b: 41 } }, 'fan-in: keyed by node id');
    assert.deepEqual(steps.join.output, { a: { a: 42 }, b: { b: 41 } });
    // Started together: each began before the other ended.
    const [a, b] = [steps.a, steps.b].map((s) => ({ start: Date.parse(s.startedAt as string), end: Date.parse(s.finishedAt as string) }));
    assert.ok(a.start < b.end && b.start < a.end, `a ${JSON.stringify(a)} and b ${JSON.stringify(b)} overlap`);
    for (const step of run.steps) assert.match(step.jobId ?? '', /^job_/);
    const job = await client.request(GetJobRequest, { id: steps.join.jobId as string });
    assert.equal(job.source, 'workflow');
  });

  it('fires always, on_success, on_failure and on_condition edges by the outcome, and skips what did not fire with its descendants', async function () {
    const file = writeWorkflow(home, {
      name: 'edges',
      nodes: [
        bash('ok', 'cronium_set_condition true\n'),
        bash('bad', 'cronium_set_condition false\nexit 3\n'),
        bash('ok_success', 'true'),
        bash('ok_failure', 'true'),
        bash('ok_always', 'true'),
        bash('ok_condition', 'true'),
        bash('bad_success', 'true'),
        bash('bad_failure', 'true'),
        bash('bad_always', 'true'),
        bash('bad_condition', 'true'),
        bash('after_skipped', 'true'),
      ],
      edges: [
        { from: 'ok', to: 'ok_success', when: 'on_success' },
        { from: 'ok', to: 'ok_failure', when: 'on_failure' },
        { from: 'ok', to: 'ok_always', when: 'always' },
        { from: 'ok', to: 'ok_condition', when: 'on_condition' },
        { from: 'bad', to: 'bad_success', when: 'on_success' },
        { from: 'bad', to: 'bad_failure', when: 'on_failure' },
        { from: 'bad', to: 'bad_always', when: 'always' },
        { from: 'bad', to: 'bad_condition', when: 'on_condition' },
        { from: 'bad_success', to: 'after_skipped', when: 'always' },
      ],
    });
    const run = await runWorkflow(client, watcher, { path: file });
    const status = Object.fromEntries(run.steps.map((s) => [s.id, s.status]));
    assert.deepEqual(status, {
      ok: 'succeeded',
      bad: 'failed',
      ok_success: 'succeeded',
      ok_failure: 'skipped',
      ok_always: 'succeeded',
      ok_condition: 'succeeded',
      bad_success: 'skipped',
      bad_failure: 'succeeded',
      bad_always: 'succeeded',
      bad_condition: 'skipped',
      after_skipped: 'skipped',
    });
    assert.equal(run.status, 'partial', 'bad failed, and its on_failure and always edges handled it');
    const steps = stepsById(run);
    assert.equal(steps.ok.condition, true);
    assert.equal(steps.bad.condition, false);
    assert.equal(steps.bad.reason, 'Exited with code 3');
    assert.equal(steps.ok_failure.jobId, null, 'a skipped step has no job');
    assert.match(steps.after_skipped.reason ?? '', /bad_success was skipped/);
    assert.deepEqual(watcher.statuses(run.id, 'ok'), ['pending', 'running', 'succeeded'], 'step changes are announced as they happen');
  });

  it('fans out 12 steps concurrently and fans them in with mixed outcomes; an unhandled failure fails the run', async function () {
    const ids = Array.from({ length: 12 }, (_, i) => `w${i}`);
    const file = writeWorkflow(home, {
      name: 'fan',
      nodes: [
        bash('root', 'cronium_output \'{"go": true}\'\n'),
        ...ids.map((id, i) => bash(id, i % 4 === 3 ? 'sleep 0.5\nexit 1\n' : `sleep 0.5\ncronium_output '{"i": ${i}}'\n`)),
        bash('join', 'cronium_output "$(cronium_input)"\n'),
        bash('tail', 'true'),
      ],
      edges: [
        ...ids.map((id) => ({ from: 'root', to: id, when: 'on_success' })),
        ...ids.map((id, i) => ({ from: id, to: 'join', when: i === 3 ? 'on_success' : 'always' })),
        { from: 'join', to: 'tail', when: 'on_success' },
      ],
    });
    const run = await runWorkflow(client, watcher, { path: file });
    const steps = stepsById(run);
    const failed = ids.filter((_, i) => i % 4 === 3);
    for (const id of ids) assert.equal(steps[id].status, failed.includes(id) ? 'failed' : 'succeeded', id);
    for (const id of ids) assert.deepEqual(steps[id].input, { go: true });
    const expected: Record<string, unknown> = {};
    ids.forEach((id, i) => {
      if (i === 3) return; // its on_success edge did not fire
      expected[id] = i % 4 === 3 ? null : { i };
    });
    assert.deepEqual(steps.join.input, expected);
    assert.equal(steps.tail.status, 'succeeded');
    assert.equal(run.status, 'failed', 'w3 failed and no edge of it fired');
    // Concurrent: the twelve 0.5 s steps overlapped (at least 4 ran at once on the default concurrency).
    const spans = ids.map((id) => [Date.parse(steps[id].startedAt as string), Date.parse(steps[id].finishedAt as string)]);
    const lastStart = Math.max(...spans.map((s) => s[0]));
    const firstEnd = Math.min(...spans.map((s) => s[1]));
    assert.ok(spans.filter((s) => s[0] < firstEnd).length >= 4, `steps overlapped (last start ${lastStart}, first end ${firstEnd})`);
    const jobIds = new Set(run.steps.map((s) => s.jobId).filter((id) => id !== null));
    assert.equal(jobIds.size, 15, 'one job per step');
  });

  it('cancels a run during a step: its process is stopped, the run and step are cancelled, the rest skipped', async function () {
    const file = writeWorkflow(home, {
      name: 'cancel-me',
      nodes: [bash('slow', 'echo started\nsleep 30\n'), bash('next', 'true')],
      edges: [{ from: 'slow', to: 'next', when: 'always' }],
    });
    const { run } = await client.request(RunWorkflowRequest, { path: file });
    const running = await watcher.step(run.id, 'slow', 'running');
    const pid = await waitFor('the step process', async () => (await client.request(GetJobRequest, { id: running.jobId as string })).pid ?? undefined);
    const { run: cancelled } = await client.request(CancelWorkflowRunRequest, { run: run.id }, { timeoutMs: 20_000 });
    assert.equal(cancelled.status, 'cancelled');
    const steps = stepsById(cancelled);
    assert.equal(steps.slow.status, 'cancelled');
    assert.equal(steps.next.status, 'skipped');
    assert.equal((await client.request(GetJobRequest, { id: running.jobId as string })).status, 'cancelled');
    assert.equal(processAlive(pid), false, 'the step process is gone');
    const again = await refusal(client.request(CancelWorkflowRunRequest, { run: run.id }));
    assert.equal(again.data?.kind, 'workflow_run_not_active');
  });

  it('resumes a failed run from its failed step with the recorded input; succeeded steps are not run again (counted from the jobs)', async function () {
    const marker = join(home, 'resume-ok');
    const file = writeWorkflow(home, {
      name: 'resumable',
      nodes: [
        bash('first', 'cronium_output \'{"from": "first"}\'\n'),
        bash('flaky', `cronium_input > ${home}/flaky-input-$CRONIUM_JOB_ID\n[ -e ${marker} ] || exit 1\ncronium_output '{"ok": true}'\n`),
        bash('last', 'cronium_output "$(cronium_input)"\n'),
      ],
      edges: [
        { from: 'first', to: 'flaky', when: 'on_success' },
        { from: 'flaky', to: 'last', when: 'on_success' },
      ],
    });
    const failed = await runWorkflow(client, watcher, { path: file });
    assert.equal(failed.status, 'failed');
    assert.deepEqual(failed.steps.map((s) => s.status), ['succeeded', 'failed', 'skipped']);
    writeFileSync(marker, '');
    const { run: resumed } = await client.request(ResumeWorkflowRunRequest, { run: failed.id });
    assert.equal(resumed.status, 'running');
    const done = await watcher.finished(failed.id, 30_000, 2);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.resumes, 1);
    const steps = stepsById(done);
    assert.equal(steps.first.attempt, 1);
    assert.equal(steps.flaky.attempt, 2);
    assert.deepEqual(steps.flaky.input, { from: 'first' });
    assert.deepEqual(steps.last.output, { ok: true });
    assert.equal((await jobsOf(client, 'resumable', 'first')).length, 1, 'first ran once');
    const flakyJobs = await jobsOf(client, 'resumable', 'flaky');
    assert.equal(flakyJobs.length, 2);
    assert.deepEqual(flakyJobs[1].input, flakyJobs[0].input, 'the second attempt got the recorded input');
    assert.equal((await jobsOf(client, 'resumable', 'last')).length, 1);
    const notAgain = await refusal(client.request(ResumeWorkflowRunRequest, { run: failed.id }));
    assert.equal(notAgain.data?.kind, 'workflow_run_not_active');
  });

  it('never starts an invalid workflow, and says why naming the nodes', async function () {
    const file = writeWorkflow(home, {
      name: 'broken',
      nodes: [bash('a', 'true'), bash('b', 'true'), bash('c', 'true'), { id: 'd', event: 'no-such-event' }],
      edges: [
        { from: 'a', to: 'b', when: 'always' },
        { from: 'b', to: 'c', when: 'always' },
        { from: 'c', to: 'b', when: 'always' },
        { from: 'a', to: 'ghost', when: 'always' },
        { from: 'a', to: 'd', when: 'on_condition' },
      ],
    });
    const result = await client.request(ValidateWorkflowRequest, { path: file });
    assert.equal(result.valid, false);
    const codes = (issues: WorkflowIssue[]) => issues.map((i) => i.code).sort();
    assert.deepEqual(codes(result.errors), ['cycle', 'dangling_edge', 'unknown_event']);
    assert.equal(result.errors.find((e) => e.code === 'cycle')?.message, 'cycle: b → c → b');
    assert.deepEqual(codes(result.warnings), ['condition_never_set']);
    const refused = await refusal(client.request(RunWorkflowRequest, { path: file }));
    assert.equal(refused.data?.kind, 'workflow_invalid');
    assert.match(refused.message, /cycle: b → c → b/);
    assert.equal((await jobsOf(client, 'broken', 'a')).length, 0, 'nothing ran');
  });

  it('runs an event node as the event, with the step input', async function () {
    await client.request(CreateEventRequest, { name: 'wf-event', runtime: 'bash', script: 'cronium_output "{\\"got\\": $(cronium_input)}"\n', target: 'local' });
    const file = writeWorkflow(home, {
      name: 'with-event',
      nodes: [bash('start', 'cronium_output 7\n'), { id: 'ev', event: 'wf-event' }],
      edges: [{ from: 'start', to: 'ev', when: 'on_success' }],
    });
    const run = await runWorkflow(client, watcher, { path: file });
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(stepsById(run).ev.output, { got: 7 });
    const job = await client.request(GetJobRequest, { id: stepsById(run).ev.jobId as string });
    assert.notEqual(job.eventId, null);
  });

  it('applies the overlap policies: skip refuses a second run while one goes on, queue makes it wait for the first', async function () {
    const gate = join(home, 'overlap-gate');
    const nodes = [bash('hold', `while [ ! -e ${gate} ]; do sleep 0.05; done\n`)];
    const skip = writeWorkflow(home, { name: 'overlap-skip', overlap: 'skip', nodes, edges: [] });
    const queue = writeWorkflow(home, { name: 'overlap-queue', overlap: 'queue', nodes, edges: [] });
    const { run: first } = await client.request(RunWorkflowRequest, { path: skip });
    await watcher.step(first.id, 'hold', 'running');
    const busy = await refusal(client.request(RunWorkflowRequest, { path: skip }));
    assert.equal(busy.data?.kind, 'workflow_busy');
    const deleting = await refusal(client.request(DeleteWorkflowRequest, { workflow: 'overlap-skip' }));
    assert.equal(deleting.data?.kind, 'workflow_busy', 'a workflow with a run going is not deleted');

    const { run: a } = await client.request(RunWorkflowRequest, { path: queue });
    await watcher.step(a.id, 'hold', 'running');
    const { run: b } = await client.request(RunWorkflowRequest, { path: queue });
    assert.equal(b.status, 'running');
    assert.equal(b.steps[0].status, 'pending', 'the second run waits for the first');
    writeFileSync(gate, '');
    const [doneA, doneB] = await Promise.all([watcher.finished(a.id), watcher.finished(b.id)]);
    assert.equal(doneA.status, 'succeeded');
    assert.equal(doneB.status, 'succeeded');
    assert.ok(Date.parse(doneB.steps[0].startedAt as string) >= Date.parse(doneA.finishedAt as string), 'b started after a ended');
    assert.equal((await watcher.finished(first.id)).status, 'succeeded');
  });

  it('runs at most `concurrency` steps of a run at once', async function () {
    const ids = ['p0', 'p1', 'p2', 'p3'];
    const file = writeWorkflow(home, { name: 'one-at-a-time', concurrency: 1, nodes: ids.map((id) => bash(id, 'sleep 0.2\n')), edges: [] });
    const run = await runWorkflow(client, watcher, { path: file });
    assert.equal(run.status, 'succeeded');
    const spans = run.steps.map((s) => [Date.parse(s.startedAt as string), Date.parse(s.finishedAt as string)]).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1], `step ${i} started after the one before ended: ${JSON.stringify(spans)}`);
  });

  it('runs an HTTP request node and gives its answer to the next step', async function () {
    const server = createServer((req, res) => res.writeHead(201, { 'content-type': 'text/plain' }).end(`got ${req.method}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const file = writeWorkflow(home, {
        name: 'http-node',
        nodes: [{ id: 'call', http: { method: 'POST', url: `http://127.0.0.1:${port}/x`, body: '{}' } }, bash('read', 'cronium_output "$(cronium_input | jq .status)"\n')],
        edges: [{ from: 'call', to: 'read', when: 'on_success' }],
      });
      const run = await runWorkflow(client, watcher, { path: file });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.steps));
      assert.equal((stepsById(run).call.output as { body: string }).body, 'got POST');
      assert.equal(stepsById(run).read.output, 201);
    } finally {
      server.close();
    }
  });

  it('dry-runs chosen outcomes: which edges fire and which steps would run, running nothing', async function () {
    const document = {
      name: 'dry',
      nodes: [bash('build', 'true'), bash('test', 'true'), bash('deploy', 'true'), bash('alert', 'true')],
      edges: [
        { from: 'build', to: 'test', when: 'on_success' },
        { from: 'test', to: 'deploy', when: 'on_condition' },
        { from: 'test', to: 'alert', when: 'on_failure' },
      ],
    };
    const result = await client.request(DryRunWorkflowRequest, { document, outcomes: { test: { status: 'succeeded', condition: false } } });
    assert.deepEqual(
      result.steps.map((s) => [s.id, s.wouldRun]),
      [['build', true], ['test', true], ['deploy', false], ['alert', false]],
    );
    assert.deepEqual(result.edges.map((e) => e.fires), [true, false, false]);
    assert.equal(result.status, 'succeeded');
    const { runs } = await client.request(WorkflowHistoryRequest, { workflow: 'dry' }).catch(() => ({ runs: [] }));
    assert.equal(runs.length, 0);
  });

  it('lists history newest first, filtered by workflow and status', async function () {
    const { runs } = await client.request(WorkflowHistoryRequest, { workflow: 'resumable' });
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, 'succeeded');
    const failed = await client.request(WorkflowHistoryRequest, { status: 'failed' });
    assert.ok(failed.runs.every((r) => r.status === 'failed') && failed.runs.some((r) => r.workflowName === 'fan'));
    const all = (await client.request(WorkflowHistoryRequest, {})).runs.map((r) => Date.parse(r.createdAt));
    assert.deepEqual(all, [...all].sort((x, y) => y - x), 'newest first');
    const none = await client.request(WorkflowHistoryRequest, { since: new Date(Date.now() + 60_000).toISOString() });
    assert.equal(none.runs.length, 0);
    assert.ok(existsSync(join(home, 'cronium.db')));
  });
});
