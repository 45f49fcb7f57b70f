import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobDto } from '../../daemon/protocol/dto';
import { cronium } from '../helpers/cli';
import { makeTempHome, removeHome, writeScript } from '../helpers/tempHome';
import { processAlive, waitFor } from '../helpers/wait';

describe('cronium CLI', function () {
  let home: string;

  before(function () {
    home = makeTempHome();
  });

  after(async function () {
    await cronium(home, ['daemon', 'stop']);
    removeHome(home);
  });

  it('starts the daemon when needed and streams stdout and stderr to the right places', async function () {
    const script = writeScript(home, 'mixed.sh', '#!/bin/bash\necho one\necho two >&2\necho three\n');
    const result = await cronium(home, ['run', script]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, 'one\nthree\n');
    assert.match(result.stderr, /Starting the Cronium daemon/);
    assert.match(result.stderr, /two\n/);
  });

  it("exits with the job's exit code", async function () {
    const script = writeScript(home, 'fail.py', 'import sys\nprint("failing")\nsys.exit(42)\n');
    const result = await cronium(home, ['run', script, '--target', 'local']);
    assert.equal(result.code, 42);
    assert.equal(result.stdout, 'failing\n');
  });

  it('passes --env, --cwd and --runtime, and prints the final record with --json', async function () {
    const script = writeScript(home, 'noext', 'console.log(process.env.WHO + " in " + process.cwd())\n');
    const result = await cronium(home, ['run', script, '--target', 'local', '--runtime', 'node', '--env', 'WHO=me', '--cwd', '/tmp', '--json']);
    assert.equal(result.code, 0);
    const job = JSON.parse(result.stdout) as JobDto;
    assert.equal(job.status, 'succeeded');
    assert.equal(job.runtime, 'node');
    assert.deepEqual(job.envKeys, ['WHO']);
    const logs = await cronium(home, ['logs', job.id]);
    assert.equal(logs.stdout, 'me in /tmp\n');
  });

  it('exits 124 on --timeout', async function () {
    const script = writeScript(home, 'slow.sh', 'sleep 30\n');
    const result = await cronium(home, ['run', script, '--target', 'local', '--timeout', '300ms']);
    assert.equal(result.code, 124);
  });

  it('lists jobs as a table and as exactly one JSON document', async function () {
    const table = await cronium(home, ['jobs', '--limit', '3']);
    assert.equal(table.code, 0);
    const [header, ...rows] = table.stdout.trim().split('\n');
    assert.match(header, /^ID\s+STATUS\s+RUNTIME\s+TARGET\s+EXIT\s+DURATION\s+CREATED\s+NAME$/);
    assert.equal(rows.length, 3);
    assert.match(rows[0], /^job_[a-z0-9]{12}\s+timed_out\s+bash\s+local/);
    const json = await cronium(home, ['jobs', '--json', '--status', 'failed']);
    const parsed = JSON.parse(json.stdout) as { jobs: JobDto[] };
    assert.ok(parsed.jobs.length >= 1);
    assert.ok(parsed.jobs.every((j) => j.status === 'failed'));
  });

  it('shows one job', async function () {
    const { jobs } = JSON.parse((await cronium(home, ['jobs', '--json', '--limit', '1'])).stdout) as { jobs: JobDto[] };
    const shown = await cronium(home, ['job', jobs[0].id]);
    assert.match(shown.stdout, new RegExp(`^id:\\s+${jobs[0].id}$`, 'm'));
    assert.match(shown.stdout, /^status:\s+timed_out$/m);
    const json = JSON.parse((await cronium(home, ['job', jobs[0].id, '--json'])).stdout) as JobDto;
    assert.equal(json.id, jobs[0].id);
  });

  it('follows a running job and cancels it by id', async function () {
    const script = writeScript(home, 'ticker.sh', 'for i in $(seq 1 100); do echo "tick $i"; sleep 0.05; done\n');
    const { job } = await startInBackground(script);
    const follower = cronium(home, ['logs', job.id, '--follow']);
    await waitFor('a few ticks', async () => (await cronium(home, ['logs', job.id])).stdout.includes('tick 3'));
    const cancel = await cronium(home, ['cancel', job.id]);
    assert.equal(cancel.code, 0);
    assert.equal(cancel.stdout, `${job.id} cancelled\n`);
    const followed = await follower;
    assert.equal(followed.code, 0);
    assert.match(followed.stdout, /^tick 1\ntick 2\ntick 3\n/);
    const again = await cronium(home, ['cancel', job.id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already ended \(cancelled\)/);
  });

  async function startInBackground(script: string): Promise<{ job: JobDto }> {
    // `run --json` waits for the end; start it and read the job id from the list instead.
    const run = cronium(home, ['run', script, '--target', 'local']);
    const job = await waitFor('the job to be listed', async () => {
      const { jobs } = JSON.parse((await cronium(home, ['jobs', '--json', '--limit', '1', '--status', 'running'])).stdout) as {
        jobs: JobDto[];
      };
      return jobs[0];
    });
    void run;
    return { job };
  }

  it('answers usage errors with exit 2 and what to type instead', async function () {
    writeScript(home, 'mixed.sh', 'echo hi\n');
    const cases: [string[], RegExp][] = [
      [['run'], /missing required argument 'file'/],
      [['run', '/nonexistent.sh'], /Cannot read \/nonexistent.sh; give the path of a script/],
      [['run', join(home, 'mixed.sh'), '--timeout', 'soon'], /use a duration like 30s, 5m or 1h/],
      [['run', join(home, 'mixed.sh'), '--env', 'NOEQUALS'], /-e NOEQUALS: NOEQUALS is not set in this environment; use -e NOEQUALS=VALUE/],
      [['run', join(home, 'mixed.sh'), '--env', '=1'], /write it as KEY=VALUE/],
      [['run', join(home, 'mixed.sh'), '--target', 'moon'], /use auto, local or container/],
      [['jobs', '--limit', 'many'], /use a whole number from 1 to 1000/],
      [['jobs', '--status', 'done'], /use one of queued, claimed, running/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const result = await cronium(home, args);
      assert.equal(result.code, 2, `cronium ${args.join(' ')} exits 2`);
      assert.match(result.stderr, message);
    }
    const unknownJob = await cronium(home, ['job', 'job_000000000000']);
    assert.equal(unknownJob.code, 1);
    assert.match(unknownJob.stderr, /No job job_000000000000/);
  });

  it('shows and changes daemon settings', async function () {
    const set = await cronium(home, ['settings', 'set', 'killGraceMs', '2s']);
    assert.equal(set.stdout, 'killGraceMs = 2000\n');
    const shown = JSON.parse((await cronium(home, ['settings', '--json'])).stdout) as { killGraceMs: number; concurrency: number };
    assert.equal(shown.killGraceMs, 2000);
    assert.ok(shown.concurrency >= 2);
    const bad = await cronium(home, ['settings', 'set', 'speed', '9']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /use one of concurrency, killGraceMs, defaultTimeoutMs, logRetentionDays, dockerHost, imageBash/);
  });

  it('reports, stops and restarts the daemon', async function () {
    const status = JSON.parse((await cronium(home, ['daemon', 'status', '--json'])).stdout) as { running: boolean; pid: number };
    assert.equal(status.running, true);
    const again = await cronium(home, ['daemon', 'start']);
    assert.match(again.stdout, new RegExp(`already running \\(pid ${status.pid}`));
    const stop = await cronium(home, ['daemon', 'stop']);
    assert.equal(stop.code, 0);
    assert.match(stop.stdout, /Cronium daemon stopped/);
    assert.equal(processAlive(status.pid), false);
    const stopped = await cronium(home, ['daemon', 'status']);
    assert.match(stopped.stdout, /not running/);
    const start = await cronium(home, ['daemon', 'start']);
    assert.match(start.stdout, /Cronium daemon started \(pid \d+/);
    assert.match(readFileSync(join(home, 'logs', 'daemon.log'), 'utf8'), /ready/);
  });
});
