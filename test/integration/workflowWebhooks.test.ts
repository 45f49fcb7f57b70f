import assert from 'node:assert/strict';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { UpdateSettingsRequest } from '../../daemon/protocol/settings';
import { SetVariableRequest } from '../../daemon/protocol/variables';
import { GetWorkflowRequest, RegisterWorkflowRequest, WorkflowHistoryRequest } from '../../daemon/protocol/workflows';
import { webhookSignature } from '../../daemon/workflows/webhooks';
import { DaemonProcess } from '../helpers/daemonProcess';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';
import { bash, stepsById, WorkflowWatcher, writeWorkflow } from '../helpers/workflows';

const SECRET = 'hook-secret-5b1f9c';

describe('workflow webhook triggers (POST /hooks/workflows/{key}, HMAC-SHA256 and timestamp)', function () {
  this.timeout(60_000);
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;
  let watcher: WorkflowWatcher;
  let url: string;

  before(async function () {
    home = makeTempHome();
    daemon = await DaemonProcess.start(home);
    client = await daemon.connect();
    watcher = await WorkflowWatcher.attach(client);
    await client.request(UpdateSettingsRequest, { webhookPort: 0 }); // any free port: suites run side by side
    await client.request(SetVariableRequest, { key: 'HOOK_SECRET', value: SECRET, secret: true });
    const file = writeWorkflow(home, {
      name: 'hooked',
      triggers: { webhook: { key: 'deploy-hook-1', secretVariable: 'HOOK_SECRET' } },
      nodes: [bash('echo', 'cronium_output "$(cronium_input)"\n')],
      edges: [],
    });
    await client.request(RegisterWorkflowRequest, { path: file });
    url = await waitFor('the listener to open', async () => (await client.request(GetWorkflowRequest, { workflow: 'hooked' })).workflow.webhookUrl ?? undefined);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/hooks\/workflows\/deploy-hook-1$/);
  });

  after(async function () {
    client?.close();
    await daemon?.stop();
    if (home) removeHome(home);
  });

  async function post(body: string, headers: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  const signed = (body: string, at = Math.floor(Date.now() / 1000)) => ({
    'x-cronium-timestamp': String(at),
    'x-cronium-signature': webhookSignature(SECRET, String(at), body),
  });

  const runCount = async () => (await client.request(WorkflowHistoryRequest, { workflow: 'hooked', trigger: 'webhook' })).runs.length;

  it('runs the workflow with the body as its input on a good signature', async function () {
    const body = JSON.stringify({ version: '1.2.3' });
    const { status, json } = await post(body, signed(body));
    assert.equal(status, 202);
    const run = await watcher.finished(json.runId as string);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.trigger, 'webhook');
    assert.deepEqual(run.input, { version: '1.2.3' });
    assert.deepEqual(stepsById(run).echo.output, { version: '1.2.3' });
  });

  it('answers 401 to bad, missing, stale and replayed signatures, and starts nothing', async function () {
    const before = await runCount();
    const body = JSON.stringify({ x: 1 });
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Record<string, string>, RegExp][] = [
      ['bad', { 'x-cronium-timestamp': String(now), 'x-cronium-signature': webhookSignature('not-the-secret', String(now), body) }, /bad signature/],
      ['tampered body', signed(JSON.stringify({ x: 2 })), /bad signature/],
      ['missing signature', { 'x-cronium-timestamp': String(now) }, /missing x-cronium-signature/],
      ['missing timestamp', { 'x-cronium-signature': signed(body)['x-cronium-signature'] }, /timestamp/],
      ['stale', signed(body, now - 10 * 60), /stale/],
    ];
    for (const [what, headers, reason] of cases) {
      const { status, json } = await post(body, headers);
      assert.equal(status, 401, what);
      assert.match(String(json.message), reason, what);
    }
    const headers = signed(body);
    assert.equal((await post(body, headers)).status, 202, 'the first delivery runs');
    const replay = await post(body, headers);
    assert.equal(replay.status, 401);
    assert.equal(replay.json.message, 'replayed delivery');
    assert.equal(await runCount(), before + 1, 'only the good delivery started a run');
  });
});
