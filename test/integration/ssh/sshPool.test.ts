import assert from 'node:assert/strict';
import { RunJobRequest } from '../../../daemon/protocol/jobs';
import { GetServerRequest } from '../../../daemon/protocol/servers';
import { UpdateSettingsRequest } from '../../../daemon/protocol/settings';
import { followJob } from '../../../daemon/cli/followJob';
import { startSuiteDaemon, stopSuiteDaemon, type SuiteDaemon } from '../../helpers/daemonProcess';
import { requireService } from '../../helpers/services';
import { sshdProblem, TestSshd } from '../../helpers/sshd';
import { addTrusted, remoteDirs } from '../../helpers/sshTargets';
import { waitFor } from '../../helpers/wait';

describe('SSH connection pool', function () {
  this.timeout(120_000);
  let suite: SuiteDaemon;
  let sshd: TestSshd;

  before(async function () {
    requireService(this, 'sshd', sshdProblem());
    sshd = await TestSshd.start();
    suite = await startSuiteDaemon();
    await addTrusted(suite.client, 'box', sshd);
  });
  after(async () => {
    await stopSuiteDaemon(suite ?? {});
    sshd?.stop();
  });

  it('runs 100 jobs on one server through at most poolSize connections, and closes them once idle', async () => {
    await suite.client.connection.sendRequest(UpdateSettingsRequest, { sshPoolSize: 2, concurrency: 8, sshIdleMs: 1000 });
    const before = sshd.logins;
    const jobs = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        suite.client.connection.sendRequest(RunJobRequest, { content: `echo job ${i}`, runtime: 'bash', servers: ['box'] }).then(({ job }) => job.id),
      ),
    );
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, sshd.sessions())), 20);
    const finals = await Promise.all(jobs.map((id) => followJob(suite.client, id, () => undefined)));
    clearInterval(sampler);
    assert.deepEqual(new Set(finals.map((job) => job.status)), new Set(['succeeded']));
    assert.ok(sshd.logins - before <= 2, `${sshd.logins - before} logins for 100 jobs`);
    assert.ok(most <= 2, `${most} sessions at once`);
    await waitFor('the idle connections to close', async () => sshd.sessions() === 0, 10_000, 100);
    const { server } = await suite.client.connection.sendRequest(GetServerRequest, { server: 'box' });
    assert.equal(server.health.connections, 0);
    assert.deepEqual(remoteDirs(), [], 'no job folder is left on the server');
  });
});
