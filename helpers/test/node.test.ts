// helpers/cronium.js: real node processes, preloaded the way the daemon launches jobs, against the fake API.
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { refusedPort, startFakeApi } from './fakeApi';
import { CRONIUM_JS, HELPERS, jsonLines, run, scriptDir } from './run';

type FakeApi = Awaited<ReturnType<typeof startFakeApi>>;

describe('helpers: Node (cronium.js)', function () {
  this.timeout(30_000);
  let api: FakeApi;
  let scripts: ReturnType<typeof scriptDir>;

  before(async () => {
    scripts = scriptDir(); // in a hook: a --grep that skips this suite creates nothing
    api = await startFakeApi({ input: { rows: [1, 2, 3] }, variables: { greeting: 'hello', limits: { max: 5 } } });
  });
  afterEach(() => api.reset());
  after(async () => {
    await api.close();
    scripts.remove();
  });

  /** `node --require cronium.js SCRIPT`, as the daemon runs a local Node job. */
  function runNode(source: string, env: Record<string, string | undefined> = api.env(), name = 'job.js') {
    const file = scripts.write(name, source);
    return run(process.execPath, ['--require', CRONIUM_JS, file], env);
  }

  it('runs a script written for Cronium, with the synchronous global and no import', async () => {
    const res = await runNode(`
      const data = cronium.input();
      console.log(JSON.stringify({ input: data }));
      console.log(JSON.stringify({ greeting: cronium.getVariable('greeting'), limits: cronium.getVariable('limits') }));
      console.log(JSON.stringify({ missing: cronium.getVariable('no-such-variable') }));
      cronium.setVariable('count', data.rows.length);
      cronium.setVariable('note', 'a string');
      cronium.setCondition(data.rows.length > 2);
      console.log(JSON.stringify({ event: cronium.event() }));
      cronium.output({ total: data.rows.reduce((a, b) => a + b, 0) });
    `);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(jsonLines(res.stdout), [
      { input: { rows: [1, 2, 3] } },
      { greeting: 'hello', limits: { max: 5 } },
      { missing: null },
      { event: api.context },
    ]);
    assert.deepEqual(api.output, { total: 6 });
    assert.equal(api.condition, true);
    assert.equal(api.variables.get('count'), 3);
    assert.equal(api.variables.get('note'), 'a string');
    const calls = api.calls();
    assert.deepEqual(
      calls.map((c) => `${c.method} ${c.path}`),
      [
        'GET /executions/exec-1/input',
        'GET /executions/exec-1/variables/greeting',
        'GET /executions/exec-1/variables/limits',
        'GET /executions/exec-1/variables/no-such-variable',
        'PUT /executions/exec-1/variables/count',
        'PUT /executions/exec-1/variables/note',
        'POST /executions/exec-1/condition',
        'GET /executions/exec-1/context',
        'POST /executions/exec-1/output',
      ],
    );
    for (const c of calls) assert.equal(c.headers.authorization, 'Bearer test-token');
    assert.deepEqual(calls[4].body, { value: 3 });
    assert.deepEqual(calls[6].body, { condition: true });
    assert.deepEqual(calls[8].body, { data: { total: 6 } });
  });

  it("serves require('cronium') with promises (NODE_PATH as in the images)", async () => {
    const res = await run(
      process.execPath,
      [
        scripts.write(
          'async.js',
          `const cronium = require('cronium');
          (async () => {
            const input = cronium.input();
            if (!(input instanceof Promise)) throw new Error('input() should return a promise');
            console.log(JSON.stringify({ input: await input, v: await cronium.getVariable('greeting') }));
            await cronium.output('done');
            await cronium.setCondition(false);
            console.log(JSON.stringify({ classes: [cronium.CroniumError, cronium.CroniumAPIError, cronium.CroniumTimeoutError].map((c) => c.name) }));
          })().catch((e) => { console.error(e); process.exit(1); });`,
        ),
      ],
      { ...api.env(), NODE_PATH: HELPERS },
    );
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(jsonLines(res.stdout), [
      { input: { rows: [1, 2, 3] }, v: 'hello' },
      { classes: ['CroniumError', 'CroniumAPIError', 'CroniumTimeoutError'] },
    ]);
    assert.equal(api.output, 'done');
    assert.equal(api.condition, false);
  });

  it('preloads through NODE_OPTIONS too, for ES modules as well, and exits as soon as the script is done', async () => {
    const file = scripts.write('job.mjs', `console.log(JSON.stringify({ input: cronium.input(), keys: Object.keys(globalThis).includes('cronium') }));`);
    const res = await run(process.execPath, [file], { ...api.env(), NODE_OPTIONS: `--require ${CRONIUM_JS}` });
    assert.equal(res.code, 0, res.stderr);
    // non-enumerable, like the built-in globals
    assert.deepEqual(jsonLines(res.stdout), [{ input: { rows: [1, 2, 3] }, keys: false }]);
    assert.ok(res.ms < 3000, `took ${res.ms} ms: the helper thread must not keep the process alive`);
  });

  it('sends variable keys URL-encoded and keeps JSON values intact (undefined output becomes null)', async () => {
    const res = await runNode(`
      cronium.setVariable('a key/with ünïcode', { nested: [true, null, 1.5, 'x'] });
      console.log(JSON.stringify(cronium.getVariable('a key/with ünïcode')));
      cronium.output(undefined);
    `);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(api.calls()[0].path, '/executions/exec-1/variables/a%20key%2Fwith%20%C3%BCn%C3%AFcode');
    assert.deepEqual(jsonLines(res.stdout), [{ nested: [true, null, 1.5, 'x'] }]);
    assert.equal(api.output, null);
  });

  it('rejects a bad condition or key in the calling line, without a request', async () => {
    const res = await runNode(`
      for (const f of [() => cronium.setCondition('maybe'), () => cronium.getVariable('')]) {
        try { f(); } catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }
      }
      cronium.setCondition('yes');
    `);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(jsonLines(res.stdout), [
      { name: 'TypeError', message: 'cronium: setCondition expects true or false, got "maybe"' },
      { name: 'TypeError', message: 'cronium: a variable key must be a non-empty string' },
    ]);
    assert.equal(api.calls().length, 1);
    assert.equal(api.condition, true);
  });

  it('fails with a clear error and a non-zero exit when the token is rejected (401)', async () => {
    const res = await runNode(`cronium.input();`, { ...api.env(), CRONIUM_EXECUTION_TOKEN: 'expired' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /CroniumAPIError: Cronium runtime API rejected the execution token \(expired or invalid\)/);
    assert.match(res.stderr, /job\.js:1/, 'the stack points at the script line');
    assert.equal(api.requests.length, 1, 'no retry on 401');
  });

  it('says the execution has ended when the runtime API answers token_expired, and exposes the kind as code', async () => {
    api.script.push({ status: 401, body: { success: false, error: { code: 'token_expired', kind: 'token_expired', message: 'This execution has ended (succeeded); its token no longer works' } } });
    const res = await runNode(`try { cronium.input(); } catch (e) { console.log(JSON.stringify({ status: e.status, code: e.code, message: e.message })); }`);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), {
      status: 401,
      code: 'token_expired',
      message: 'Cronium runtime API refused the execution token: This execution has ended (succeeded); its token no longer works',
    });
  });

  it('explains a 403 (token of another execution) and exposes status and code', async () => {
    const res = await runNode(
      `try { cronium.event(); } catch (e) { console.log(JSON.stringify({ name: e.name, status: e.status, code: e.code, message: e.message, isBase: e instanceof cronium.CroniumError })); }`,
      { ...api.env(), CRONIUM_EXECUTION_ID: 'exec-2' },
    );
    assert.equal(res.code, 0, res.stderr);
    const [err] = jsonLines(res.stdout) as [{ name: string; status: number; code: string; message: string; isBase: boolean }];
    assert.equal(err.name, 'CroniumAPIError');
    assert.equal(err.status, 403);
    assert.equal(err.code, 'forbidden');
    assert.equal(err.isBase, true);
    assert.match(err.message, /refused access to execution exec-2: the token belongs to another execution/);
  });

  it('retries 500s and then succeeds', async () => {
    api.script.push({ status: 500 }, { status: 503 });
    const res = await runNode(`console.log(JSON.stringify(cronium.input()));`);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(jsonLines(res.stdout), [{ rows: [1, 2, 3] }]);
    assert.equal(api.requests.length, 3);
  });

  it('waits for Retry-After on 429', async () => {
    api.script.push({ status: 429, headers: { 'Retry-After': '1' } });
    const res = await runNode(`const t = Date.now(); cronium.output(1); console.log(JSON.stringify([Date.now() - t]));`);
    assert.equal(res.code, 0, res.stderr);
    const [[waited]] = jsonLines(res.stdout) as [[number]];
    assert.ok(waited >= 950, `waited ${waited} ms`);
    assert.equal(api.requests.length, 2);
    assert.equal(api.output, 1);
  });

  it('does not retry a 400 and reports the server message', async () => {
    api.script.push({ status: 400, body: { success: false, error: { code: 'bad_request', message: 'value too large' } } });
    const res = await runNode(`cronium.setVariable('k', 1);`);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /Cronium runtime API error 400 on PUT variables\/k: value too large/);
    assert.equal(api.requests.length, 1);
  });

  it('gives up on a refused connection after 3 retries with a clear error', async () => {
    const port = await refusedPort();
    const res = await runNode(`cronium.input();`, { ...api.env(), CRONIUM_RUNTIME_API: `http://127.0.0.1:${port}` });
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`Cannot reach the Cronium runtime API at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.* \\(4 attempts\\)`));
    assert.ok(res.ms >= 1700, `backoff 0.2 + 0.5 + 1 s, took ${res.ms} ms`);
  });

  it('times out a silent API with CroniumTimeoutError after the retries', async () => {
    api.delayMs = 3000;
    const res = await runNode(`cronium.input();`, { ...api.env(), CRONIUM_HELPER_TIMEOUT: '0.3' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /CroniumTimeoutError: Cronium runtime API at .* did not answer GET input within 0\.3 s \(4 attempts\)/);
    assert.equal(api.requests.length, 4);
  });

  it('loads silently without the job environment and fails clearly only when a helper is called', async () => {
    const quiet = await run(process.execPath, ['--require', CRONIUM_JS, '-e', 'console.log(typeof cronium, typeof require("' + CRONIUM_JS + '").input)'], {});
    assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, 'object function\n', '']);
    const res = await runNode(`cronium.input();`, {});
    assert.equal(res.code, 1);
    assert.match(res.stderr, /CroniumError: Cronium runtime helpers need CRONIUM_RUNTIME_API and CRONIUM_EXECUTION_TOKEN; run this script as a Cronium job \(cronium run FILE\)/);
    const promised = await run(process.execPath, ['-e', `require(${JSON.stringify(CRONIUM_JS)}).input().catch((e) => { console.log(e.name + ': ' + e.message); })`], {});
    assert.match(promised.stdout, /^CroniumError: Cronium runtime helpers need CRONIUM_RUNTIME_API/);
  });

  it('leaves a global named cronium that the script owns alone', async () => {
    const mine = scripts.write('mine.js', 'globalThis.cronium = "mine";');
    const res = await run(process.execPath, ['--require', mine, '--require', CRONIUM_JS, '-e', 'console.log(cronium)'], {});
    assert.equal(res.stdout, 'mine\n');
    assert.equal(dirname(mine), scripts.dir);
  });
});
