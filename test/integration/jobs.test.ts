import assert from 'node:assert/strict';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { followJob } from '../../daemon/cli/followJob';
import { CancelJobRequest, ListJobsRequest, RerunJobRequest, RunJobRequest } from '../../daemon/protocol/jobs';
import { ReadLogsRequest } from '../../daemon/protocol/logs';
import { UpdateSettingsRequest } from '../../daemon/protocol/settings';
import { DaemonProcess, getJob, runToEnd, startSuiteDaemon, stopSuiteDaemon } from '../helpers/daemonProcess';
import { databaseContains } from '../helpers/tempHome';
import { groupAlive, processAlive, waitFor } from '../helpers/wait';

describe('jobs on the local process target', function () {
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;

  before(async function () {
    ({ home, daemon, client } = await startSuiteDaemon());
  });

  after(() => stopSuiteDaemon({ home, daemon, client }));

  it('runs a Bash script through every status to succeeded with its output', async function () {
    const result = await runToEnd(client, { content: 'echo "hello from bash"\n', fileName: 'hello.sh' });
    assert.equal(result.job.status, 'succeeded');
    assert.equal(result.job.runtime, 'bash');
    assert.equal(result.job.target, 'local');
    assert.equal(result.job.exitCode, 0);
    assert.equal(result.stdout, 'hello from bash\n');
    for (const field of ['createdAt', 'claimedAt', 'startedAt', 'finishedAt'] as const) {
      assert.ok(result.job[field], `${field} is recorded`);
    }
    assert.ok(Date.parse(result.job.claimedAt as string) >= Date.parse(result.job.createdAt));
    assert.ok(Date.parse(result.job.finishedAt as string) >= Date.parse(result.job.startedAt as string));
  });

  it('runs a Python script', async function () {
    const result = await runToEnd(client, {
      content: 'import sys\nprint("python", sys.version_info[0])\nprint("to stderr", file=sys.stderr)\n',
      fileName: 'a.py',
    });
    assert.equal(result.job.status, 'succeeded');
    assert.equal(result.job.runtime, 'python');
    assert.equal(result.stdout, 'python 3\n');
    assert.equal(result.stderr, 'to stderr\n');
  });

  it('runs a Node.js script, and an ES module as .mjs', async function () {
    const cjs = await runToEnd(client, { content: 'console.log("node", typeof require)\n', fileName: 'a.js' });
    assert.equal(cjs.job.runtime, 'node');
    assert.equal(cjs.stdout, 'node function\n');
    const esm = await runToEnd(client, { content: 'const x = await Promise.resolve(42);\nconsole.log(x);\n', fileName: 'b.mjs' });
    assert.equal(esm.job.status, 'succeeded', esm.stderr);
    assert.equal(esm.stdout, '42\n');
  });

  it('takes the runtime from the shebang when the file name says nothing', async function () {
    const result = await runToEnd(client, { content: '#!/usr/bin/env python3\nprint(1 + 1)\n', fileName: 'script' });
    assert.equal(result.job.runtime, 'python');
    assert.equal(result.stdout, '2\n');
  });

  it('records a non-zero exit code as failed with a human error and a structured one', async function () {
    const result = await runToEnd(client, { content: 'echo bad >&2\nexit 7\n', runtime: 'bash' });
    assert.equal(result.job.status, 'failed');
    assert.equal(result.job.exitCode, 7);
    assert.equal(result.job.lastError, 'Exited with code 7');
    assert.deepEqual(result.job.error, { kind: 'exit_code', message: 'Exited with code 7', exitCode: 7 });
    assert.equal(result.stderr, 'bad\n');
  });

  it('records a job killed by a signal as failed with the signal', async function () {
    const result = await runToEnd(client, { content: 'kill -SEGV $$\n', runtime: 'bash' });
    assert.equal(result.job.status, 'failed');
    assert.equal(result.job.signal, 'SIGSEGV');
    assert.equal(result.job.error?.kind, 'signal');
  });

  it('gives the job its env, working directory and a closed stdin', async function () {
    const result = await runToEnd(client, {
      content: 'echo "$GREETING $CRONIUM_JOB_ID"\npwd\nif read -r line; then echo "stdin: $line"; else echo "stdin closed"; fi\n',
      runtime: 'bash',
      env: { GREETING: 'hi' },
      cwd: '/tmp',
    });
    const [greeting, cwd, stdin] = result.stdout.trim().split('\n');
    assert.equal(greeting, `hi ${result.job.id}`);
    assert.equal(cwd, '/tmp');
    assert.equal(stdin, 'stdin closed');
    assert.deepEqual(result.job.envKeys, ['GREETING']);
  });

  it('does not store environment values in plain text', async function () {
    const secret = 'sk-live-4f9c2b7e1d';
    await runToEnd(client, { content: 'true\n', runtime: 'bash', env: { API_KEY: secret } });
    assert.equal(databaseContains(home, secret), false);
  });

  it('fails a job whose working directory does not exist, with a clear message', async function () {
    const result = await runToEnd(client, { content: 'true\n', runtime: 'bash', cwd: '/nonexistent/dir' });
    assert.equal(result.job.status, 'failed');
    assert.equal(result.job.error?.kind, 'spawn_failed');
    assert.match(result.job.lastError ?? '', /Working directory \/nonexistent\/dir does not exist/);
  });

  it('times out a job, kills its whole process group and records timed_out', async function () {
    const result = await runToEnd(client, {
      content: 'sleep 30 &\necho "child $!"\nsleep 30\n',
      runtime: 'bash',
      timeoutMs: 500,
    });
    assert.equal(result.job.status, 'timed_out');
    assert.equal(result.job.error?.kind, 'timeout');
    assert.match(result.job.lastError ?? '', /Timed out after 500 ms/);
    const childPid = Number(/child (\d+)/.exec(result.stdout)?.[1]);
    assert.ok(childPid > 0);
    assert.equal(processAlive(childPid), false, 'the background child is gone');
    assert.equal(groupAlive(result.job.pid as number), false, 'the process group is gone');
  });

  it('records a job ended only once a leftover that let go of its output and ignores SIGTERM is gone', async function () {
    const result = await runToEnd(client, {
      content: `(trap '' TERM; exec sleep 100) >/dev/null 2>&1 &\necho "child $!"\n`,
      runtime: 'bash',
    });
    assert.equal(result.job.status, 'succeeded');
    const childPid = Number(/child (\d+)/.exec(result.stdout)?.[1]);
    assert.ok(childPid > 0);
    assert.equal(processAlive(childPid), false, 'the leftover got its SIGKILL before the end was recorded');
  });

  it('cancels a running job: the process group is really gone and the job is cancelled', async function () {
    const { job } = await client.connection.sendRequest(RunJobRequest, {
      content: 'trap "" TERM\nsleep 60 &\necho "child $!"\nwait\n',
      runtime: 'bash',
      target: 'local',
    });
    const running = await waitFor('the job to run', async () => {
      const j = await getJob(client, job.id);
      return j.status === 'running' && j.logLines > 0 ? j : undefined; // logLines counts live
    });
    await client.connection.sendRequest(UpdateSettingsRequest, { killGraceMs: 300 });
    const cancelled = await client.connection.sendRequest(CancelJobRequest, { id: job.id });
    await client.connection.sendRequest(UpdateSettingsRequest, { killGraceMs: 5000 });
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.error?.kind, 'cancelled');
    assert.equal(groupAlive(running.pid as number), false, 'no process of the job is left (TERM ignored, KILL sent)');
  });

  it('refuses to cancel a job that already ended', async function () {
    const { job } = await runToEnd(client, { content: 'true\n', runtime: 'bash' });
    await assert.rejects(client.connection.sendRequest(CancelJobRequest, { id: job.id }), (e: { data?: { kind?: string } }) => {
      assert.equal(e.data?.kind, 'job_not_active');
      return true;
    });
  });

  it('never runs more jobs at once than the concurrency setting, and cancels a queued job', async function () {
    await client.connection.sendRequest(UpdateSettingsRequest, { concurrency: 1 });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { job } = await client.connection.sendRequest(RunJobRequest, { content: 'sleep 0.3\n', runtime: 'bash', target: 'local' });
        ids.push(job.id);
      }
      const third = await getJob(client, ids[2]);
      assert.equal(third.status, 'queued');
      const cancelled = await client.connection.sendRequest(CancelJobRequest, { id: ids[2] });
      assert.equal(cancelled.status, 'cancelled');
      let maxRunning = 0;
      await waitFor('both jobs to end', async () => {
        // One request, so both statuses come from the same moment (two could straddle the hand-over).
        const { jobs: recent } = await client.connection.sendRequest(ListJobsRequest, { limit: 20 });
        const jobs = recent.filter((j) => ids.slice(0, 2).includes(j.id));
        maxRunning = Math.max(maxRunning, jobs.filter((j) => j.status === 'running' || j.status === 'claimed').length);
        return jobs.length === 2 && jobs.every((j) => j.status === 'succeeded');
      });
      assert.equal(maxRunning, 1);
      const [a, b] = await Promise.all(ids.slice(0, 2).map((id) => getJob(client, id)));
      assert.ok(Date.parse(b.startedAt as string) >= Date.parse(a.finishedAt as string), 'the second started after the first');
    } finally {
      await client.connection.sendRequest(UpdateSettingsRequest, { concurrency: 4 });
    }
  });

  it('lists jobs newest first and filters by status', async function () {
    const { jobs } = await client.connection.sendRequest(ListJobsRequest, { limit: 3 });
    assert.equal(jobs.length, 3);
    assert.ok(Date.parse(jobs[0].createdAt) >= Date.parse(jobs[2].createdAt));
    const failed = await client.connection.sendRequest(ListJobsRequest, { status: 'failed' });
    assert.ok(failed.jobs.length > 0);
    assert.ok(failed.jobs.every((j) => j.status === 'failed'));
  });

  it('re-runs a job as a new job with the same script, environment and input', async function () {
    const first = await runToEnd(client, {
      content: 'import os\nprint(os.environ["GREETING"], cronium.input()["n"])\n',
      runtime: 'python',
      env: { GREETING: 'again' },
      input: { n: 7 },
    });
    assert.equal(first.stdout, 'again 7\n');
    const { job } = await client.connection.sendRequest(RerunJobRequest, { id: first.job.id });
    assert.notEqual(job.id, first.job.id);
    const lines: string[] = [];
    const final = await followJob(client, job.id, (batch) => lines.push(...batch.map((l) => l.text)));
    assert.equal(final.status, 'succeeded');
    assert.deepEqual(lines, ['again 7']);
    assert.deepEqual(final.envKeys, ['GREETING']);
    assert.equal(final.target, 'local');
  });

  // Last: it deletes every job of this suite.
  it('deletes finished jobs and their logs once they are older than logRetentionDays', async function () {
    const { job } = await runToEnd(client, { content: 'echo keep me briefly\n', runtime: 'bash' });
    await new Promise((r) => setTimeout(r, 1100)); // the job must be older than the retention set below
    try {
      await client.connection.sendRequest(UpdateSettingsRequest, { logRetentionDays: 1 / 86_400 }); // one second
      await waitFor('the old job to be deleted', async () => {
        try {
          await getJob(client, job.id);
          return false;
        } catch (e) {
          return (e as { data?: { kind?: string } }).data?.kind === 'job_not_found';
        }
      });
      await assert.rejects(client.connection.sendRequest(ReadLogsRequest, { jobId: job.id }));
    } finally {
      await client.connection.sendRequest(UpdateSettingsRequest, { logRetentionDays: 30 });
    }
  });
});
