import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { SetVariableRequest } from '../../daemon/protocol/variables';
import { getJob, startSuiteDaemon, stopSuiteDaemon, type DaemonProcess } from '../helpers/daemonProcess';
import { runEndedApiJob, startHeldApiJob, type ApiAccess } from '../helpers/runtimeApiJob';

interface ErrorBody {
  success: false;
  error: { code: string; kind: string; message: string };
}

function call(access: ApiAccess, method: string, what: string, body?: unknown): Promise<Response> {
  return fetch(`${access.url}/executions/${encodeURIComponent(access.executionId)}/${what}`, {
    method,
    headers: { authorization: `Bearer ${access.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function jwtPayload(token: string): { iat: number; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { iat: number; exp: number };
}

describe('runtime API: ended executions, token lifetime and malformed paths', function () {
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;

  before(async function () {
    ({ home, daemon, client } = await startSuiteDaemon());
  });

  after(() => stopSuiteDaemon({ home, daemon, client }));

  it("refuses an ended execution's token for input, context, a secret variable and every write: 401 token_expired", async function () {
    const secret = 'ended-s3cret-7d41c0';
    await client.connection.sendRequest(SetVariableRequest, { key: 'ended_secret', value: secret, secret: true });
    // While it runs, the job reads the secret with its token; the test keeps the token for later.
    const { access, accessFile, job } = await runEndedApiJob(client, home, {
      input: { note: 'input of an ended job' },
      then: 'cronium_get_variable ended_secret >"$ACCESS_FILE.secret"',
    });
    assert.equal(job.status, 'succeeded');
    assert.equal(readFileSync(`${accessFile}.secret`, 'utf8'), `${secret}\n`, 'the running job could read the secret');

    const attempts: [string, string, unknown?][] = [
      ['GET', 'input'],
      ['GET', 'context'],
      ['GET', 'variables/ended_secret'],
      ['POST', 'output', { data: { late: true } }],
      ['PUT', 'variables/ended_secret', { value: 'overwritten' }],
      ['POST', 'condition', { condition: true }],
    ];
    for (const [method, what, body] of attempts) {
      const response = await call(access, method, what, body);
      const text = await response.text();
      assert.equal(response.status, 401, `${method} ${what}: ${text}`);
      const error = (JSON.parse(text) as ErrorBody).error;
      assert.equal(error.kind, 'token_expired', `${method} ${what}`);
      assert.match(error.message, /has ended \(succeeded\); its token no longer works/);
      assert.equal(text.includes(secret), false);
    }
    const after = await getJob(client, job.id);
    assert.equal(after.output, null, 'the late output was not stored');
    assert.equal(after.condition, null);
  });

  it("gives a job's token the job's timeout and kill grace plus 30 s, and keeps it working while the job runs", async function () {
    const held = await startHeldApiJob(client, home); // timeout 120 s
    try {
      const { iat, exp } = jwtPayload(held.access.token);
      assert.equal(exp - iat, 120 + 5 + 30, 'timeout 120 s, the default kill grace 5 s, 30 s more');
      assert.equal((await call(held.access, 'GET', 'context')).status, 200);
    } finally {
      await held.release();
    }
    assert.equal((await call(held.access, 'GET', 'context')).status, 401);
  });

  it('answers a path that is not valid percent-encoding with 400 bad_request and logs no stack trace', async function () {
    const held = await startHeldApiJob(client, home);
    try {
      const { url, token, executionId } = held.access;
      for (const path of ['/executions/%zz/input', `/executions/${executionId}/variables/%E0%A4%A`]) {
        const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
        const text = await response.text();
        assert.equal(response.status, 400, `${path}: ${text}`);
        const error = (JSON.parse(text) as ErrorBody).error;
        assert.equal(error.kind, 'bad_request');
        assert.match(error.message, /is not valid percent-encoding/);
      }
    } finally {
      await held.release();
    }
    const log = readFileSync(join(home, 'logs', 'daemon.log'), 'utf8');
    assert.doesNotMatch(log, /URIError/);
    assert.doesNotMatch(log, /^\s+at /m, 'no stack trace in the daemon log');
  });
});
