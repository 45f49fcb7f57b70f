import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import type { Runtime } from '../../daemon/protocol/dto';
import { SetVariableRequest } from '../../daemon/protocol/variables';
import { cronium } from '../helpers/cli';
import { DaemonProcess, runToEnd, startSuiteDaemon, stopSuiteDaemon } from '../helpers/daemonProcess';
import { dockerProblem, requireService } from '../helpers/services';
import { databaseContains, writeScript } from '../helpers/tempHome';

/** Scripts written for Cronium: the global `cronium`, no import. */
const PRODUCER: Record<Runtime, string> = {
  bash: [
    'cronium_output \'{"from":"bash","n":1}\'',
    'cronium_set_variable shared_bash "set by bash"',
    'cronium_set_condition true',
    'cronium_event_field jobId',
  ].join('\n'),
  python: [
    'cronium.output({"from": "python", "n": 1})',
    'cronium.set_variable("shared_python", "set by python")',
    'cronium.setCondition(True)',
    'print(cronium.event()["jobId"])',
  ].join('\n'),
  node: [
    'cronium.output({ from: "node", n: 1 });',
    'cronium.setVariable("shared_node", "set by node");',
    'cronium.setCondition(true);',
    'console.log(cronium.event().jobId);',
  ].join('\n'),
};

const CONSUMER: Record<Runtime, string> = {
  bash: 'echo "input: $(cronium_input | jq -c .)"\necho "variable: $(cronium_get_variable shared_bash)"',
  python: 'import json\nprint("input:", json.dumps(cronium.input(), separators=(",", ":")))\nprint("variable:", cronium.get_variable("shared_python"))',
  node: 'console.log("input: " + JSON.stringify(cronium.input()));\nconsole.log("variable: " + cronium.getVariable("shared_node"));',
};

describe('runtime API and helpers in local and container jobs', function () {
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;

  before(async function () {
    ({ home, daemon, client } = await startSuiteDaemon());
  });

  after(() => stopSuiteDaemon({ home, daemon, client }));

  for (const [runtime, target] of (['bash', 'python', 'node'] as const).flatMap((r) => [[r, 'local'], [r, 'container']] as const)) {
    it(`${runtime} in ${target === 'local' ? 'a local process' : 'a container'}: output → input, variables, setCondition and event() between two jobs`, async function () {
      if (target === 'container') requireService(this, 'Docker', await dockerProblem());
      this.timeout(60_000);
      const producer = await runToEnd(client, { content: PRODUCER[runtime], runtime, target });
      assert.equal(producer.job.status, 'succeeded', producer.stderr);
      assert.deepEqual(producer.job.output, { from: runtime, n: 1 });
      assert.equal(producer.job.condition, true);
      assert.equal(producer.stdout.trim(), producer.job.id, 'event() returns the job context');
      assert.equal(producer.job.target, target);

      const consumer = await runToEnd(client, { content: CONSUMER[runtime], runtime, target, inputFromJob: producer.job.id });
      assert.equal(consumer.job.status, 'succeeded', consumer.stderr);
      assert.equal(consumer.stdout, `input: {"from":"${runtime}","n":1}\nvariable: set by ${runtime}\n`);
      assert.equal(consumer.job.condition, null, 'a job that sets no condition has none');
    });
  }

  it('takes the input given with cronium run --input', async function () {
    const script = writeScript(home, 'echo-input.py', 'print(cronium.input()["name"])\n');
    const result = await cronium(home, ['run', script, '--target', 'local', '--input', '{"name":"Ada"}']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'Ada\n');
  });

  describe('token scoping', function () {
    let apiUrl: string;
    let otherJob: string;
    let ownToken: string;
    let ownJob: string;

    before(async function () {
      const other = await runToEnd(client, { content: 'echo', runtime: 'bash', target: 'local', input: { secret: 'of another job' } });
      otherJob = other.job.id;
      const own = await runToEnd(client, {
        content: 'echo "$CRONIUM_RUNTIME_API"\necho "$CRONIUM_EXECUTION_TOKEN"\nsleep 2',
        runtime: 'bash',
        target: 'local',
        timeoutMs: 60_000,
      });
      [apiUrl, ownToken] = own.stdout.trim().split('\n');
      ownJob = own.job.id;
    });

    const get = (path: string, token: string) => fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });

    it("answers 403 when a token asks for another execution's input or variables", async function () {
      for (const path of [`/executions/${otherJob}/input`, `/executions/${otherJob}/variables/shared_bash`]) {
        const response = await get(path, ownToken);
        assert.equal(response.status, 403);
        const body = (await response.json()) as { error: { code: string } };
        assert.equal(body.error.code, 'forbidden');
      }
    });

    it('answers 401 to a forged token and to an expired one', async function () {
      const forged = await new SignJWT({ jobId: ownJob, scope: 'execution' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(ownJob)
        .setIssuer('cronium-daemon')
        .setAudience('cronium-runtime-api')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('not the daemon key, but 32 bytes!'));
      assert.equal((await get(`/executions/${ownJob}/context`, forged)).status, 401);

      // Signed with the daemon's real key (derived from the home's master key), but expired.
      const master = Buffer.from(readFileSync(join(home, 'master.key'), 'utf8').trim(), 'base64');
      const key = new Uint8Array(hkdfSync('sha256', master, Buffer.alloc(0), 'cronium:execution-tokens', 32));
      const expired = await new SignJWT({ jobId: ownJob, scope: 'execution' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(ownJob)
        .setIssuer('cronium-daemon')
        .setAudience('cronium-runtime-api')
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(key);
      const response = await get(`/executions/${ownJob}/context`, expired);
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'token_expired');
      assert.equal((await get(`/executions/${ownJob}/context`, '')).status, 401);
    });

    it('answers its own execution', async function () {
      const response = await get(`/executions/${ownJob}/context`, ownToken);
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { data: { jobId: string } }).data.jobId, ownJob);
    });
  });

  it('masks a secret variable printed by a script and keeps it out of the SQLite file', async function () {
    const secret = 'hunter2-s3cr3t-value-9f8e';
    await client.connection.sendRequest(SetVariableRequest, { key: 'api_key', value: secret, secret: true });
    const result = await runToEnd(client, {
      content: 'key = cronium.get_variable("api_key")\nprint("the key is", key)\nprint(key[:8], "and half of it is fine")\n',
      runtime: 'python',
      target: 'local',
    });
    assert.equal(result.job.status, 'succeeded', result.stderr);
    assert.equal(result.stdout.split('\n')[0], 'the key is ***');
    const logs = await cronium(home, ['logs', result.job.id]);
    assert.match(logs.stdout, /^the key is \*\*\*$/m);
    assert.equal(logs.stdout.includes(secret), false);
    const listed = await cronium(home, ['vars', 'list']);
    assert.match(listed.stdout, /api_key\s+\*\*\*\s+yes/);
    const revealed = await cronium(home, ['vars', 'get', 'api_key', '--reveal']);
    assert.equal(revealed.stdout, `${secret}\n`);
    assert.equal(databaseContains(home, secret), false, 'the database does not hold the secret in plain text');
  });
});
