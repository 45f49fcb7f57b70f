import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResponseError } from 'vscode-jsonrpc';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import type { ErrorData } from '../../daemon/protocol/errors';
import { GetJobRequest, RunJobRequest, WriteStdinRequest } from '../../daemon/protocol/jobs';
import { GetVariableRequest } from '../../daemon/protocol/variables';
import { PROTOCOL_VERSION } from '../../daemon/protocol/version';
import { cronium } from '../helpers/cli';
import { DaemonProcess, runToEnd } from '../helpers/daemonProcess';
import { RawSocket } from '../helpers/rawSocket';
import { makeTempHome, removeHome } from '../helpers/tempHome';

/** What a message written for the CLI looks like: a command, a flag, or a backquoted snippet. */
const CLI_SYNTAX = /cronium [a-z]|`|(^|\s)--[a-z]/;
const NO_DOCKER = '/nonexistent/docker.sock';

async function refusal(request: Promise<unknown>): Promise<{ message: string; data: ErrorData }> {
  try {
    await request;
  } catch (e) {
    assert.ok(e instanceof ResponseError, `a protocol error, not ${String(e)}`);
    return { message: e.message, data: e.data as ErrorData };
  }
  throw new Error('the request succeeded');
}

describe("daemon error messages are every client's", function () {
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;

  before(async function () {
    home = makeTempHome();
    // No Docker engine answers here, so the container target is unavailable whatever the machine has.
    daemon = await DaemonProcess.start(home, { DOCKER_HOST: `unix://${NO_DOCKER}` });
    client = await daemon.connect();
  });

  after(async function () {
    client?.close();
    await daemon?.stop();
    removeHome(home);
  });

  it('states a missing job as a fact, with its id and a hint to list jobs', async function () {
    const { message, data } = await refusal(client.connection.sendRequest(GetJobRequest, { id: 'job_000000000000' }));
    assert.equal(message, 'No job job_000000000000');
    assert.deepEqual(data, { kind: 'job_not_found', jobId: 'job_000000000000', hint: { action: 'list_jobs' } });
  });

  it('states a missing variable as a fact, with a hint to list variables', async function () {
    const { message, data } = await refusal(client.connection.sendRequest(GetVariableRequest, { key: 'nope' }));
    assert.equal(message, 'No variable nope');
    assert.deepEqual(data, { kind: 'variable_not_found', key: 'nope', hint: { action: 'list_variables' } });
  });

  it('states an unknown runtime without CLI flags, with the runtimes to choose from', async function () {
    const { message, data } = await refusal(client.connection.sendRequest(RunJobRequest, { content: 'echo hi\n', fileName: '/tmp/script' }));
    assert.doesNotMatch(message, CLI_SYNTAX);
    assert.equal(message, 'Cannot tell the runtime of /tmp/script from its file name or its first line');
    assert.deepEqual(data, { kind: 'runtime_unavailable', hint: { action: 'name_runtime', runtimes: ['bash', 'python', 'node'] } });
  });

  it('states an unavailable target without CLI flags, with the targets there are instead', async function () {
    const { message, data } = await refusal(
      client.connection.sendRequest(RunJobRequest, { content: 'echo hi\n', runtime: 'bash', target: 'container' }),
    );
    assert.doesNotMatch(message, CLI_SYNTAX);
    assert.match(message, new RegExp(`^Docker is not reachable at ${NO_DOCKER}`));
    assert.deepEqual(data, { kind: 'target_unavailable', target: 'container', hint: { action: 'choose_target', targets: ['local'] } });
  });

  it('states input to a job that takes none without naming a command of one client', async function () {
    const done = await runToEnd(client, { content: 'true\n', runtime: 'bash' });
    const { message, data } = await refusal(client.connection.sendRequest(WriteStdinRequest, { id: done.job.id, data: 'x' }));
    assert.equal(message, `Job ${done.job.id} takes no input (succeeded)`);
    assert.deepEqual(data.hint, { action: 'run_interactive' });
  });

  it('states a protocol mismatch without CLI commands, with both versions', async function () {
    const raw = await RawSocket.connect(join(home, 'daemon.sock'));
    const token = readFileSync(join(home, 'daemon.token'), 'utf8').trim();
    const params = { token, clientName: 'old', protocolVersion: PROTOCOL_VERSION + 1 };
    raw.sendFramed(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'lifecycle/initialize', params }));
    const error = (await raw.nextMessage()).error as { message: string; data: ErrorData };
    await raw.closed;
    assert.doesNotMatch(error.message, CLI_SYNTAX);
    assert.equal(error.data.kind, 'protocol_mismatch');
    assert.deepEqual(error.data.hint, { action: 'restart_daemon' });
  });

  it('the CLI words the advice for a terminal from the hints', async function () {
    const job = await cronium(home, ['job', 'job_000000000000']);
    assert.equal(job.stderr, 'cronium: No job job_000000000000 — list jobs with `cronium jobs`\n');
    const variable = await cronium(home, ['vars', 'get', 'nope']);
    assert.equal(variable.stderr, 'cronium: No variable nope — list them with `cronium vars list`\n');
    const script = join(home, 'script');
    writeFileSync(script, 'echo hi\n');
    const runtime = await cronium(home, ['run', script]);
    assert.equal(runtime.code, 2);
    assert.match(runtime.stderr, /^cronium: Cannot tell the runtime of \S+ from its file name or its first line — pass --runtime bash\|python\|node or start it with a shebang\n$/);
    const target = await cronium(home, ['run', '--runtime', 'bash', '--target', 'container', script]);
    assert.equal(target.code, 1);
    assert.match(target.stderr, /^cronium: Docker is not reachable at \S+.*; use --target local instead\n$/);
  });
});
