import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { followJob } from '../../daemon/cli/followJob';
import { RunJobRequest } from '../../daemon/protocol/jobs';
import { DaemonProcess, getJob, runToEnd, startSuiteDaemon, stopSuiteDaemon } from '../helpers/daemonProcess';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { groupAlive, processAlive, waitFor } from '../helpers/wait';

/** The command line of `pid`, arguments joined by spaces. */
function commandLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
}

const SHOW_PARENT = 'echo "$PPID"\ntr "\\0" " " < /proc/$PPID/cmdline; echo\n';

describe('local jobs started through the process spawner', function () {
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;

  before(async function () {
    ({ home, daemon, client } = await startSuiteDaemon());
  });

  after(() => stopSuiteDaemon({ home, daemon, client }));

  it('starts jobs from spawner.py, not by forking the daemon', async function () {
    const result = await runToEnd(client, { content: SHOW_PARENT, runtime: 'bash' });
    assert.equal(result.job.status, 'succeeded', result.stderr);
    const [parent, cmdline] = result.stdout.trim().split('\n');
    assert.notEqual(Number(parent), daemon.pid);
    assert.match(cmdline, /python3? .*spawner\.py/);
  });

  it('finishes 200 jobs submitted at once, each with its own output, none left running', async function () {
    const submitted = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.connection.sendRequest(RunJobRequest, { content: `echo job-${i}\necho err-${i} >&2\n`, runtime: 'bash', target: 'local' })),
    );
    const outputs = await Promise.all(
      submitted.map(async ({ job }) => {
        const lines: string[] = [];
        const final = await followJob(client, job.id, (batch) => lines.push(...batch.map((l) => `${l.stream}:${l.text}`)));
        return { final, lines };
      }),
    );
    outputs.forEach(({ final, lines }, i) => {
      assert.equal(final.status, 'succeeded');
      assert.deepEqual(lines.sort(), [`stderr:err-${i}`, `stdout:job-${i}`]);
    });
  });

  it('fails a job whose spawner is killed under it with a clear error, ends its processes, and starts the next job with a new spawner', async function () {
    const { job } = await client.connection.sendRequest(RunJobRequest, { content: 'echo started\nsleep 60\n', runtime: 'bash', target: 'local' });
    const running = await waitFor('the job to run', async () => {
      const j = await getJob(client, job.id);
      return j.status === 'running' && j.pid !== null ? j : undefined;
    });
    const spawnerPid = Number(readFileSync(`/proc/${running.pid as number}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    assert.match(commandLine(spawnerPid), /spawner\.py/);
    process.kill(spawnerPid, 'SIGKILL');
    const final = await followJob(client, job.id, () => undefined);
    assert.equal(final.status, 'failed');
    assert.match(final.lastError ?? '', /process spawner stopped while the job ran \(signal SIGKILL\); its exit status is unknown/);
    await waitFor('the job process group to be gone', () => !groupAlive(running.pid as number));
    const next = await runToEnd(client, { content: SHOW_PARENT, runtime: 'bash' });
    assert.equal(next.job.status, 'succeeded');
    const newSpawner = Number(next.stdout.split('\n')[0]);
    assert.notEqual(newSpawner, spawnerPid);
    assert.equal(processAlive(daemon.pid), true);
  });

  it('stops with the daemon and leaves no spawner behind', async function () {
    const other = makeTempHome();
    const second = await DaemonProcess.start(other);
    try {
      const c = await second.connect();
      const result = await runToEnd(c, { content: SHOW_PARENT, runtime: 'bash' });
      c.close();
      const spawnerPid = Number(result.stdout.split('\n')[0]);
      assert.equal(processAlive(spawnerPid), true);
      assert.equal(await second.stop(), 0);
      await waitFor('the spawner to exit', () => !processAlive(spawnerPid));
    } finally {
      removeHome(other);
    }
  });

  it('forks the daemon instead when CRONIUM_SPAWNER=off, with the same results', async function () {
    const other = makeTempHome();
    const second = await DaemonProcess.start(other, { CRONIUM_SPAWNER: 'off' });
    try {
      const c = await second.connect();
      const result = await runToEnd(c, { content: SHOW_PARENT, runtime: 'bash' });
      c.close();
      assert.equal(result.job.status, 'succeeded');
      assert.equal(Number(result.stdout.split('\n')[0]), second.pid);
    } finally {
      await second.stop();
      removeHome(other);
    }
  });
});
