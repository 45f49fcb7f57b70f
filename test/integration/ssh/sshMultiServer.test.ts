import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobDto } from '../../../daemon/protocol/dto';
import { GetServerRequest, type ServerDto } from '../../../daemon/protocol/servers';
import { UpdateSettingsRequest } from '../../../daemon/protocol/settings';
import { cronium } from '../../helpers/cli';
import { startSuiteDaemon, stopSuiteDaemon, type SuiteDaemon } from '../../helpers/daemonProcess';
import { requireService } from '../../helpers/services';
import { sshdProblem, TestSshd } from '../../helpers/sshd';
import { addTrusted } from '../../helpers/sshTargets';
import { waitFor } from '../../helpers/wait';

describe('SSH jobs on several servers', function () {
  this.timeout(90_000);
  let suite: SuiteDaemon;
  const sshds: TestSshd[] = [];
  let script: string;

  before(async function () {
    requireService(this, 'sshd', sshdProblem());
    for (let i = 0; i < 3; i++) sshds.push(await TestSshd.start());
    suite = await startSuiteDaemon();
    for (const [i, sshd] of sshds.entries()) await addTrusted(suite.client, `s${i + 1}`, sshd);
    script = join(suite.home, 'where.sh');
    // sshd tells the session which port it came in on: the job says which server it ran on.
    writeFileSync(script, 'echo "on port ${SSH_CONNECTION##* }"\necho "to stderr" >&2\n');
  });
  after(async () => {
    await stopSuiteDaemon(suite ?? {});
    for (const sshd of sshds) sshd.stop();
  });

  const server = async (name: string): Promise<ServerDto> => (await suite.client.connection.sendRequest(GetServerRequest, { server: name })).server;
  const runOnAll = () => cronium(suite.home, ['run', script, '--server', 's1', '--server', 's2', '--server', 's3']);

  it('runs one execution per server in parallel, each with its own log', async () => {
    const run = await cronium(suite.home, ['run', script, '--server', 's1', '--server', 's2', '--server', 's3', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const job = JSON.parse(run.stdout) as JobDto;
    assert.equal(job.status, 'succeeded');
    assert.equal(job.executions.length, 3);
    const ids = await Promise.all(['s1', 's2', 's3'].map(async (name) => (await server(name)).id));
    assert.deepEqual(job.executions.map((e) => e.serverId), ids);
    const shown = await runOnAll();
    assert.equal(shown.code, 0, shown.stderr);
    for (const [i, sshd] of sshds.entries()) {
      assert.ok(shown.stdout.includes(`[s${i + 1}] on port ${sshd.port}\n`), shown.stdout);
      assert.ok(shown.stderr.includes(`[s${i + 1}] to stderr\n`), shown.stderr);
    }
  });

  it('ends partial when one server is down; its circuit opens and closes once it is back', async () => {
    await suite.client.connection.sendRequest(UpdateSettingsRequest, { sshCircuitResetMs: 6000 });
    await sshds[2].halt();
    const run = await cronium(suite.home, ['run', script, '--server', 's1', '--server', 's2', '--server', 's3', '--json']);
    assert.equal(run.code, 1);
    const job = JSON.parse(run.stdout) as JobDto;
    assert.equal(job.status, 'partial');
    assert.deepEqual(job.executions.map((e) => e.status), ['succeeded', 'succeeded', 'failed']);
    assert.equal(job.executions[2].error?.kind, 'ssh_unreachable');
    assert.match(job.executions[2].lastError ?? '', new RegExp(`Cannot connect to s3 \\(127\\.0\\.0\\.1:${sshds[2].port}\\)`));

    // Three attempts per job: the second job's failures open the circuit, the third is refused at once.
    const second = await runOnAll();
    assert.equal(second.code, 1);
    const down = await server('s3');
    assert.equal(down.health.circuit, 'open');
    assert.equal(down.health.state, 'offline');
    assert.ok(down.health.consecutiveFailures >= 5, String(down.health.consecutiveFailures));
    const started = Date.now();
    const refused = await runOnAll();
    assert.ok(Date.now() - started < 5000);
    assert.match(refused.stderr, /\[s3\] failed: s3 \(127\.0\.0\.1:\d+\) failed \d+ connection attempts in a row: jobs are refused until the next try/);
    const show = await cronium(suite.home, ['servers', 'show', 's3']);
    assert.match(show.stdout, /circuit\s+open \(\d+ failures in a row\), next try /);

    await sshds[2].resume();
    await waitFor('the circuit to be half-open', async () => (await server('s3')).health.circuit === 'half_open', 15_000, 200);
    const back = await runOnAll();
    assert.equal(back.code, 0, back.stderr);
    assert.ok(back.stdout.includes(`[s3] on port ${sshds[2].port}\n`));
    const closed = await server('s3');
    assert.equal(closed.health.circuit, 'closed');
    assert.equal(closed.health.state, 'online');
  });
});
