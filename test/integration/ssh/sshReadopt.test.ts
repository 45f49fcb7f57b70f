import assert from 'node:assert/strict';
import type { DaemonClient } from '../../../daemon/client/daemonClient';
import type { JobDto, LogLineDto } from '../../../daemon/protocol/dto';
import { RunJobRequest } from '../../../daemon/protocol/jobs';
import { ReadLogsRequest } from '../../../daemon/protocol/logs';
import { GetVariableRequest } from '../../../daemon/protocol/variables';
import { DaemonProcess, getJob } from '../../helpers/daemonProcess';
import { requireService } from '../../helpers/services';
import { sshdProblem, TestSshd } from '../../helpers/sshd';
import { addTrusted, remoteDirs, remoteProcesses } from '../../helpers/sshTargets';
import { makeTempHome, removeHome } from '../../helpers/tempHome';
import { waitFor } from '../../helpers/wait';

async function allLines(client: DaemonClient, jobId: string): Promise<LogLineDto[]> {
  const lines: LogLineDto[] = [];
  for (let after = 0, atEnd = false; !atEnd; ) {
    const page = await client.connection.sendRequest(ReadLogsRequest, { jobId, afterSeq: after, limit: 1000 });
    lines.push(...page.lines);
    after = page.nextSeq;
    atEnd = page.atEnd;
  }
  return lines;
}

describe('SSH jobs after a daemon crash', function () {
  this.timeout(90_000);
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;
  let sshd: TestSshd;

  before(async function () {
    requireService(this, 'sshd', sshdProblem());
    sshd = await TestSshd.start();
    home = makeTempHome();
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
    await addTrusted(client, 'box', sshd);
  });
  after(async () => {
    client?.close();
    await daemon?.stop();
    sshd?.stop();
    if (home) removeHome(home);
  });

  const restart = async (): Promise<void> => {
    client.close();
    await daemon.kill9();
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
  };

  it('re-adopts a running job after kill -9 of the daemon: it completes with every line, none twice', async () => {
    const script = 'for i in $(seq 1 40); do echo "out $i"; echo "err $i" >&2; sleep 0.1; done\ncronium_set_variable readopted "after the restart" && echo "helper ok"\n';
    const { job } = await client.connection.sendRequest(RunJobRequest, { content: script, runtime: 'bash', servers: ['box'] });
    await waitFor('some lines', async () => (await getJob(client, job.id)).logLines >= 6, 15_000);
    await restart();
    assert.ok(remoteProcesses(`cronium-${job.executions[0].id}/script.sh`).length > 0, 'the job kept running on the server');
    const final = await waitFor('the re-adopted job to end', async () => {
      const current = await getJob(client, job.id);
      return current.finishedAt !== null ? current : undefined;
    }, 30_000, 100);
    assert.equal(final.status, 'succeeded', final.lastError ?? '');
    assert.equal(final.exitCode, 0);
    const lines = await allLines(client, job.id);
    const text = (stream: string) => lines.filter((l) => l.stream === stream).map((l) => l.text);
    assert.deepEqual(text('stdout'), [...Array.from({ length: 40 }, (_, i) => `out ${i + 1}`), 'helper ok']);
    const variable = await client.connection.sendRequest(GetVariableRequest, { key: 'readopted' });
    assert.equal(variable.value, 'after the restart', 'its helpers reach the new daemon through the same tunnel port');
    assert.deepEqual(text('stderr'), Array.from({ length: 40 }, (_, i) => `err ${i + 1}`));
    assert.deepEqual(lines.map((l) => l.seq), lines.map((_, i) => i + 1), 'one sequence without gaps');
    assert.deepEqual(remoteDirs(final.executions[0].id), [], 'the folder is removed');
  });

  it('stops the remote job when the daemon is stopped: nothing left on the server, the job recorded cancelled', async () => {
    const { job } = await client.connection.sendRequest(RunJobRequest, { content: 'echo started\nsleep 300\n', runtime: 'bash', servers: ['box'] });
    const marker = `cronium-${job.executions[0].id}/script.sh`;
    await waitFor('the remote process', () => remoteProcesses(marker).length > 0, 15_000);
    client.close();
    await daemon.stop();
    assert.deepEqual(remoteProcesses(marker), [], 'the remote job is gone once the daemon has stopped');
    assert.deepEqual(remoteDirs(job.executions[0].id), [], 'and its folder');
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
    const final = await getJob(client, job.id);
    assert.equal(final.status, 'cancelled');
    assert.equal(final.error?.kind, 'daemon_shutdown');
  });

  it('finalizes a job that ended while the daemon was down, with its exit code and every line', async () => {
    const { job } = await client.connection.sendRequest(RunJobRequest, {
      content: 'echo before\nsleep 1\nfor i in 1 2 3; do echo "after $i"; done\nexit 7\n',
      runtime: 'bash',
      servers: ['box'],
    });
    await waitFor('the first line', async () => (await getJob(client, job.id)).logLines >= 1, 15_000);
    client.close();
    await daemon.kill9();
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the job ends while no daemon runs
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
    const final: JobDto = await waitFor('the job to be finalized', async () => {
      const current = await getJob(client, job.id);
      return current.finishedAt !== null ? current : undefined;
    }, 20_000, 100);
    assert.equal(final.status, 'failed');
    assert.equal(final.exitCode, 7);
    assert.deepEqual((await allLines(client, job.id)).map((l) => l.text), ['before', 'after 1', 'after 2', 'after 3']);
    assert.deepEqual(remoteDirs(final.executions[0].id), []);
  });
});
