import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { ResponseError } from 'vscode-jsonrpc';
import { CreateEventRequest, RunEventRequest } from '../../../daemon/protocol/events';
import { followJob } from '../../../daemon/cli/followJob';
import type { LogLineDto } from '../../../daemon/protocol/dto';
import { CancelJobRequest, RerunJobRequest, ResizeTerminalRequest, RunJobRequest, WriteStdinRequest } from '../../../daemon/protocol/jobs';
import { GetServerRequest, UpdateServerRequest } from '../../../daemon/protocol/servers';
import { getJob, runToEnd, startSuiteDaemon, stopSuiteDaemon, type SuiteDaemon } from '../../helpers/daemonProcess';
import { requireService } from '../../helpers/services';
import { sshdProblem, TEST_USER, TestSshd } from '../../helpers/sshd';
import { addTrusted, remoteDirs, remoteProcesses } from '../../helpers/sshTargets';
import { waitFor } from '../../helpers/wait';

describe('SSH jobs', function () {
  this.timeout(60_000);
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

  it('runs a script on the server and streams stdout and stderr with the exit code', async () => {
    const { job, lines } = await runToEnd(suite.client, {
      content: 'echo "out on $(hostname) as $(id -un)"\necho err >&2\nexit 3\n',
      fileName: 'remote.sh',
      servers: ['box'],
      target: 'ssh',
    });
    assert.equal(job.status, 'failed');
    assert.equal(job.exitCode, 3);
    assert.equal(job.target, 'ssh');
    assert.equal(job.executions[0].serverId, (await suite.client.connection.sendRequest(GetServerRequest, { server: 'box' })).server.id);
    const out = lines.filter((l) => l.stream === 'stdout').map((l) => l.text);
    assert.match(out[0], new RegExp(`^out on .* as ${TEST_USER}$`));
    assert.deepEqual(lines.filter((l) => l.stream === 'stderr').map((l) => l.text), ['err']);
    assert.deepEqual(lines.map((l) => l.seq), lines.map((_, i) => i + 1));
    // Removed right after the end is recorded, off the job's path.
    await waitFor('the job folder to be removed', () => remoteDirs(job.executions[0].id).length === 0, 5000);
  });

  it('passes environment values verbatim: quotes, spaces, $(), backticks and newlines', async () => {
    const tricky = `it's "quoted" $(touch /tmp/injected) \`id\` $HOME\nsecond line\\n ; rm -rf /`;
    const { job, stdout } = await runToEnd(suite.client, {
      content: 'import os, json\nprint(json.dumps(os.environ["TRICKY"]))\n',
      fileName: 'env.py',
      env: { TRICKY: tricky },
      servers: ['box'],
      target: 'ssh',
    });
    assert.equal(job.status, 'succeeded', job.lastError ?? '');
    assert.equal(JSON.parse(stdout.trim()), tricky);
    assert.ok(!readdirSync('/tmp').includes('injected'), 'nothing in the value ran');
  });

  it('streams lines while the script runs', async () => {
    const { job } = await suite.client.connection.sendRequest(RunJobRequest, {
      content: 'echo first\nsleep 2\necho second\n',
      fileName: 'slow.sh',
      servers: ['box'],
      target: 'ssh',
    });
    const first = await waitFor('the first line', async () => {
      const current = await getJob(suite.client, job.id);
      return current.logLines >= 1 ? current : undefined;
    });
    assert.equal(first.status, 'running', 'the first line arrived before the end');
  });

  it('times out: the remote process group is killed and the job recorded timed_out', async () => {
    const marker = `cronium-timeout-${Date.now()}`;
    const { job } = await runToEnd(suite.client, {
      content: `sleep 300 & # ${marker}\nexec -a ${marker} sleep 300\n`,
      fileName: 'hang.sh',
      timeoutMs: 1500,
      servers: ['box'],
      target: 'ssh',
    });
    assert.equal(job.status, 'timed_out');
    await waitFor('the remote processes to be gone', () => remoteProcesses(marker).length === 0 && remoteProcesses('sleep 300').length === 0, 10_000);
    await waitFor('the job folder to be removed', () => remoteDirs(job.executions[0].id).length === 0, 5000);
  });

  it('cancels a running job: its remote processes are gone, checked on the server', async () => {
    const marker = `cronium-cancel-${Date.now()}`;
    const { job } = await suite.client.connection.sendRequest(RunJobRequest, {
      content: `trap '' TERM\necho started\nexec -a ${marker} sleep 300\n`,
      fileName: 'cancel.sh',
      servers: ['box'],
      target: 'ssh',
    });
    await waitFor('the remote process', () => remoteProcesses(marker).length === 1);
    const cancelled = await suite.client.connection.sendRequest(CancelJobRequest, { id: job.id }, );
    assert.equal(cancelled.status, 'cancelled');
    assert.deepEqual(remoteProcesses(marker), []);
    await waitFor('the job folder to be removed', () => remoteDirs(job.executions[0].id).length === 0, 5000);
  });

  it('runs an event on its servers', async () => {
    const { event } = await suite.client.connection.sendRequest(CreateEventRequest, {
      name: 'remote-event',
      script: 'echo "event on $(id -un)"; cronium_set_condition true',
      runtime: 'bash',
      servers: ['box'],
    });
    assert.equal(event.target, 'ssh');
    assert.equal(event.servers?.length, 1);
    const { job } = await suite.client.connection.sendRequest(RunEventRequest, { event: 'remote-event' });
    const final = await waitFor('the event job to end', async () => {
      const current = await getJob(suite.client, job.id);
      return current.finishedAt !== null ? current : undefined;
    });
    assert.equal(final.status, 'succeeded', final.lastError ?? '');
    assert.equal(final.condition, true);
    assert.equal(final.executions[0].serverId, event.servers?.[0]);
    const { job: again } = await suite.client.connection.sendRequest(RerunJobRequest, { id: job.id });
    assert.deepEqual(again.executions.map((e) => e.serverId), [event.servers?.[0]], 'a re-run goes to the same server');
  });

  it('runs interactively in a remote terminal: a prompt, typed input, its size and a resize', async () => {
    const { job } = await suite.client.connection.sendRequest(RunJobRequest, {
      content: 'trap \'echo "now $(stty size)"\' WINCH\n[ -t 0 ] && echo "tty $(stty size) $TERM"\nread -p "name? " n\necho "hi $n"\nwhile read -r -t 0.2 line || [ $? -gt 128 ]; do :; done\n',
      runtime: 'bash',
      servers: ['box'],
      interactive: true,
      terminalSize: { columns: 100, rows: 30 },
    });
    const lines: LogLineDto[] = [];
    const finished = followJob(suite.client, job.id, (batch) => lines.push(...batch));
    const output = () => lines.map((l) => l.text + (l.partial ? '' : '\n')).join('');
    await waitFor('the prompt', () => output().includes('name? '), 15_000);
    assert.match(output(), /tty 30 100 xterm-256color/);
    await suite.client.connection.sendRequest(WriteStdinRequest, { id: job.id, data: 'Ada\n' });
    await waitFor('the answer', () => /hi Ada/.test(output()));
    await suite.client.connection.sendRequest(ResizeTerminalRequest, { id: job.id, columns: 120, rows: 40 });
    await waitFor('the new size', () => output().includes('now 40 120'));
    await suite.client.connection.sendRequest(WriteStdinRequest, { id: job.id, data: '', eof: true });
    const final = await finished;
    assert.equal(final.status, 'succeeded', final.lastError ?? '');
    assert.deepEqual(remoteDirs(final.executions[0].id), []);
  });

  it('cancels an interactive job waiting for input: its remote process is gone', async () => {
    const { job } = await suite.client.connection.sendRequest(RunJobRequest, { content: 'echo waiting\nread -r x\n', runtime: 'bash', servers: ['box'], interactive: true });
    const marker = `cronium-${job.executions[0].id}/script.sh`;
    await waitFor('the remote process', () => remoteProcesses(marker).length > 0, 15_000);
    const cancelled = await suite.client.connection.sendRequest(CancelJobRequest, { id: job.id });
    assert.equal(cancelled.status, 'cancelled');
    await waitFor('the remote process to be gone', () => remoteProcesses(marker).length === 0, 10_000);
    await waitFor('the folder to be removed', () => remoteDirs(job.executions[0].id).length === 0, 10_000);
  });

  it('lets a running job finish when its server is changed, and connects anew for the next one', async () => {
    const { job } = await suite.client.connection.sendRequest(RunJobRequest, { content: 'echo begun\nsleep 1\necho finished\n', runtime: 'bash', servers: ['box'] });
    await waitFor('the job to start', async () => (await getJob(suite.client, job.id)).logLines >= 1, 15_000);
    const logins = sshd.logins;
    await suite.client.connection.sendRequest(UpdateServerRequest, { server: 'box', privateKey: sshd.clientKeyText() });
    const final = await waitFor('the job to end', async () => {
      const current = await getJob(suite.client, job.id);
      return current.finishedAt !== null ? current : undefined;
    });
    assert.equal(final.status, 'succeeded', final.lastError ?? '');
    const next = await runToEnd(suite.client, { content: 'true', runtime: 'bash', servers: ['box'], target: 'ssh' });
    assert.equal(next.job.status, 'succeeded');
    assert.ok(sshd.logins > logins, 'the next job logged in with the new credentials');
  });

  it('refuses a job on a server that does not exist, naming it', async () => {
    await assert.rejects(
      suite.client.connection.sendRequest(RunJobRequest, { content: 'true', fileName: 'x.sh', servers: ['nowhere'] }),
      (e: ResponseError<{ kind: string }>) => e.data?.kind === 'server_not_found' && /No server nowhere/.test(e.message),
    );
  });
});
