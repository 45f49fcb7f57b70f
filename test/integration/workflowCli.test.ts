import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import type { DryRunResult, WorkflowRunDto } from '../../daemon/protocol/workflows';
import { RunWorkflowRequest } from '../../daemon/protocol/workflows';
import { cronium } from '../helpers/cli';
import { CLI_JS, DaemonProcess } from '../helpers/daemonProcess';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { bash, WorkflowWatcher, writeWorkflow } from '../helpers/workflows';

describe('cronium workflows (the CLI against a real daemon)', function () {
  this.timeout(60_000);
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;
  let good: string;
  let failing: string;

  before(async function () {
    home = makeTempHome();
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
    good = writeWorkflow(home, {
      name: 'greet',
      nodes: [
        bash('hello', 'echo "hello $(cronium_input | jq -r .who)"\ncronium_output "$(cronium_input)"\n'),
        bash('bye', 'echo "bye $(cronium_input | jq -r .who)" >&2\n'),
      ],
      edges: [{ from: 'hello', to: 'bye', when: 'on_success' }],
    });
    failing = writeWorkflow(home, {
      name: 'gate',
      nodes: [bash('check', `[ -e ${join(home, 'gate-open')} ] || { echo closed; exit 4; }\necho open\n`), bash('after', 'echo after\n')],
      edges: [{ from: 'check', to: 'after', when: 'on_success' }],
    });
  });

  after(async function () {
    client?.close();
    await daemon?.stop();
    if (home) removeHome(home);
  });

  it('validate exits 0 for a valid file and 1 for an invalid one, naming the nodes', async function () {
    const ok = await cronium(home, ['workflows', 'validate', good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `${good}: valid (greet)\n`);
    const broken = writeWorkflow(home, {
      name: 'broken',
      nodes: [bash('a', 'true'), bash('b', 'true')],
      edges: [
        { from: 'a', to: 'b', when: 'always' },
        { from: 'b', to: 'b', when: 'always' },
        { from: 'b', to: 'zed', when: 'on_failure' },
      ],
    });
    const bad = await cronium(home, ['workflows', 'validate', broken]);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stdout,
      `${broken}: invalid\n  error: edge 2 (b → b): node b cannot follow itself\n  error: edge 3 (b → zed): no node "zed"\n`,
    );
    const json = await cronium(home, ['workflows', 'validate', broken, '--json']);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout).errors.map((e: { nodes: string[] }) => e.nodes), [['b'], ['b']]);
  });

  it('run FILE streams step status and step logs as they happen and exits 0 when the run succeeded', async function () {
    const run = await cronium(home, ['workflows', 'run', good, '--input', '{"who": "world"}']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '[hello] hello world\n');
    assert.match(run.stderr, /cronium: step hello running \(job_[a-z0-9]{12}\)\ncronium: step hello succeeded\n/);
    assert.match(run.stderr, /\[bye\] bye world\n/);
    assert.match(run.stderr, /cronium: run wfr_[a-z0-9]{12} succeeded in /);
  });

  it('run FILE shows a step\'s lines while the run is still going', async function () {
    const gate = join(home, 'live-gate');
    const live = writeWorkflow(home, {
      name: 'live',
      nodes: [bash('first', 'echo first line\n'), bash('second', `while [ ! -e ${gate} ]; do sleep 0.05; done\necho second line\n`)],
      edges: [{ from: 'first', to: 'second', when: 'on_success' }],
    });
    const child = spawn(process.execPath, [CLI_JS, 'workflows', 'run', live], { env: { ...process.env, CRONIUM_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    // The second step waits for a file that is written only once the first step's line was shown.
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('[first] first line\n')) resolve();
      });
    });
    writeFileSync(gate, '');
    assert.equal(await exited, 0, stderr);
    assert.equal(stdout, '[first] first line\n[second] second line\n');
  });

  it('run --json prints the finished run with status and steps (id, status, jobId, output)', async function () {
    const run = await cronium(home, ['workflows', 'run', good, '--json', '--input', '{"who": "json"}']);
    assert.equal(run.code, 0, run.stderr);
    const parsed = JSON.parse(run.stdout) as WorkflowRunDto;
    assert.equal(parsed.status, 'succeeded');
    assert.deepEqual(parsed.steps.map((s) => [s.id, s.status]), [['hello', 'succeeded'], ['bye', 'succeeded']]);
    assert.deepEqual(parsed.steps[0].output, { who: 'json' });
    for (const step of parsed.steps) assert.match(step.jobId ?? '', /^job_/);
  });

  it('run exits non-zero when the run did not succeed, and resume runs the failed step again', async function () {
    const run = await cronium(home, ['workflows', 'run', failing, '--json']);
    assert.equal(run.code, 1);
    const failed = JSON.parse(run.stdout) as WorkflowRunDto;
    assert.equal(failed.status, 'failed');
    const shown = await cronium(home, ['workflows', 'show', failed.id]);
    assert.match(shown.stdout, /check\s+failed\s+1\s+job_\w+\s+\S+\s+Exited with code 4/);
    assert.match(shown.stdout, /after\s+skipped\s+0\s+-/);
    writeFileSync(join(home, 'gate-open'), '');
    const resumed = await cronium(home, ['workflows', 'resume', failed.id]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.stdout, '[check] open\n[after] after\n');
    const history = JSON.parse((await cronium(home, ['workflows', 'history', 'gate', '--json'])).stdout) as { runs: WorkflowRunDto[] };
    assert.deepEqual(history.runs.map((r) => [r.id, r.status, r.resumes]), [[failed.id, 'succeeded', 1]]);
  });

  it('dry-run shows which steps would run for the chosen outcomes', async function () {
    const text = await cronium(home, ['workflows', 'dry-run', good, '--outcome', 'hello=failed']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /hello\s+runs, failed/);
    assert.match(text.stdout, /bye\s+skipped\s+no incoming edge fired: hello failed \(edge on_success\)/);
    assert.match(text.stdout, /run status: failed/);
    const json = JSON.parse((await cronium(home, ['workflows', 'dry-run', 'greet', '--json'])).stdout) as DryRunResult;
    assert.deepEqual(json.steps.map((s) => s.wouldRun), [true, true]);
    const bad = await cronium(home, ['workflows', 'dry-run', good, '--outcome', 'hello=maybe']);
    assert.equal(bad.code, 2);
  });

  it('cancel stops a running run; list and history show the workflows and their runs', async function () {
    const slow = writeWorkflow(home, { name: 'slow', nodes: [bash('nap', 'sleep 30\n')], edges: [] });
    const watcher = await WorkflowWatcher.attach(client);
    const { run } = await client.request(RunWorkflowRequest, { path: slow });
    await watcher.step(run.id, 'nap', 'running');
    const cancelled = await cronium(home, ['workflows', 'cancel', run.id]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(cancelled.stdout, `${run.id} cancelled\n`);
    const list = await cronium(home, ['workflows', 'list']);
    assert.match(list.stdout, /^NAME\s+STEPS\s+SCHEDULE\s+FILE STATE\s+FILE\n/);
    assert.match(list.stdout, /\ngreet\s+2\s+-\s+ok\s+/);
    const cancelledRuns = JSON.parse((await cronium(home, ['workflows', 'history', '--status', 'cancelled', '--json'])).stdout) as { runs: WorkflowRunDto[] };
    assert.deepEqual(cancelledRuns.runs.map((r) => r.id), [run.id]);
  });
});
