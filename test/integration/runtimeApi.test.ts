import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import type { Runtime } from '../../daemon/protocol/dto';
import { CancelJobRequest, RunJobRequest } from '../../daemon/protocol/jobs';
import { SetVariableRequest } from '../../daemon/protocol/variables';
import { cronium } from '../helpers/cli';
import { DaemonProcess, runToEnd, startSuiteDaemon, stopSuiteDaemon } from '../helpers/daemonProcess';
import { dockerProblem, requireService } from '../helpers/services';
import { databaseContains, writeScript } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';

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
    let otherExecution: string;
    let ownToken: string;
    let ownJob: string;
    let ownExecution: string;

    /** The job's token is masked in its log, so the job hands its credentials over in a file. */
    const credentials = (file: string) =>
      `printf '%s\\n' "$CRONIUM_RUNTIME_API" "$CRONIUM_EXECUTION_ID" "$CRONIUM_EXECUTION_TOKEN" > ${file}.tmp && mv ${file}.tmp ${file}\n`;

    before(async function () {
      const other = await runToEnd(client, { content: 'echo', runtime: 'bash', target: 'local', input: { secret: 'of another job' } });
      otherExecution = other.job.executions[0].id;
      const file = join(home, 'own-credentials');
      const { job } = await client.connection.sendRequest(RunJobRequest, {
        content: `${credentials(file)}sleep 60\n`,
        runtime: 'bash',
        target: 'local',
        timeoutMs: 120_000,
      });
      ownJob = job.id;
      const text = await waitFor('the job to write its credentials', () => existsSync(file) && readFileSync(file, 'utf8'));
      [apiUrl, ownExecution, ownToken] = text.trim().split('\n');
    });

    after(async function () {
      await client.connection.sendRequest(CancelJobRequest, { id: ownJob }).catch(() => undefined);
    });

    const get = (path: string, token: string) => fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });

    it("answers 403 when a token asks for another execution's input or variables", async function () {
      for (const path of [`/executions/${otherExecution}/input`, `/executions/${otherExecution}/variables/shared_bash`]) {
        const response = await get(path, ownToken);
        assert.equal(response.status, 403);
        const body = (await response.json()) as { error: { code: string } };
        assert.equal(body.error.code, 'forbidden');
      }
    });

    it('answers 401 to a forged token and to an expired one', async function () {
      const forged = await new SignJWT({ jobId: ownJob, scope: 'execution' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(ownExecution)
        .setIssuer('cronium-daemon')
        .setAudience('cronium-runtime-api')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('not the daemon key, but 32 bytes!'));
      assert.equal((await get(`/executions/${ownExecution}/context`, forged)).status, 401);

      // Signed with the daemon's real key (derived from the home's master key), but expired.
      const master = Buffer.from(readFileSync(join(home, 'master.key'), 'utf8').trim(), 'base64');
      const key = new Uint8Array(hkdfSync('sha256', master, Buffer.alloc(0), 'cronium:execution-tokens', 32));
      const expired = await new SignJWT({ jobId: ownJob, scope: 'execution' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(ownExecution)
        .setIssuer('cronium-daemon')
        .setAudience('cronium-runtime-api')
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(key);
      const response = await get(`/executions/${ownExecution}/context`, expired);
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'token_expired');
      assert.equal((await get(`/executions/${ownExecution}/context`, '')).status, 401);
    });

    it('answers its own execution', async function () {
      const response = await get(`/executions/${ownExecution}/context`, ownToken);
      assert.equal(response.status, 200);
      const { data } = (await response.json()) as { data: { jobId: string; executionId: string } };
      assert.equal(data.jobId, ownJob);
      assert.equal(data.executionId, ownExecution);
    });
  });

  it("masks the job's own execution token in its log and keeps it out of the SQLite file", async function () {
    const file = join(home, 'printenv-credentials');
    const result = await runToEnd(client, {
      content: `printf '%s\\n' "$CRONIUM_EXECUTION_TOKEN" > ${file}\nprintenv | grep ^CRONIUM_EXECUTION_TOKEN=\necho "again: $CRONIUM_EXECUTION_TOKEN"\n`,
      runtime: 'bash',
      target: 'local',
    });
    assert.equal(result.job.status, 'succeeded', result.stderr);
    const token = readFileSync(file, 'utf8').trim();
    assert.match(token, /^ey[\w-]+\.[\w-]+\.[\w-]+$/, 'the job had a JWT');
    assert.equal(result.stdout, 'CRONIUM_EXECUTION_TOKEN=***\nagain: ***\n');
    const logs = await cronium(home, ['logs', result.job.id]);
    assert.equal(logs.stdout.includes(token), false);
    assert.equal(databaseContains(home, token), false, 'the database does not hold the token');
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
