// helpers/cronium.py: real python3 processes started through the bootstrap (python3 cronium.py SCRIPT).
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { refusedPort, startFakeApi } from './fakeApi';
import { CRONIUM_PY, HELPERS, jsonLines, run, scriptDir } from './run';

type FakeApi = Awaited<ReturnType<typeof startFakeApi>>;

describe('helpers: Python (cronium.py)', function () {
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

  /** The daemon's launch: python3 <helpers>/cronium.py SCRIPT ARGS. */
  function runPython(source: string, env: Record<string, string | undefined> = api.env(), args: string[] = []) {
    const file = scripts.write('job.py', source);
    return run('python3', [CRONIUM_PY, file, ...args], { PYTHONUNBUFFERED: '1', ...env });
  }

  it('runs a script written for Cronium, with the global and no import (camelCase and snake_case)', async () => {
    const res = await runPython(`
import json
data = cronium.input()
print(json.dumps({"input": data}))
print(json.dumps({"greeting": cronium.getVariable("greeting"), "limits": cronium.get_variable("limits")}))
print(json.dumps({"missing": cronium.get_variable("no-such-variable")}))
cronium.setVariable("count", len(data["rows"]))
cronium.set_variable("note", "a string")
cronium.setCondition(len(data["rows"]) > 2)
print(json.dumps({"event": cronium.event()}))
cronium.output({"total": sum(data["rows"])})
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
    assert.deepEqual(calls[6].body, { condition: true });
    assert.deepEqual(calls[8].body, { data: { total: 6 } });
  });

  it('behaves as if the script ran directly: __name__, argv, sys.path[0], one module for import and global', async () => {
    const res = await runPython(
      `
import json, os, sys
import cronium as imported
print(json.dumps({"name": __name__, "argv": sys.argv[1:], "path0": sys.path[0], "file": os.path.basename(__file__),
                  "same": imported is cronium, "builtin_input_intact": input.__module__ == "builtins"}))
`,
      api.env(),
      ['--flag', 'two words'],
    );
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(jsonLines(res.stdout), [
      { name: '__main__', argv: ['--flag', 'two words'], path0: realpathSync(scripts.dir), file: 'job.py', same: true, builtin_input_intact: true },
    ]);
  });

  it('propagates exit codes: sys.exit(n), sys.exit("msg") and uncaught exceptions with a clean traceback', async () => {
    const exit3 = await runPython('import sys\nsys.exit(3)\n');
    assert.equal(exit3.code, 3);
    const message = await runPython('import sys\nsys.exit("stopping here")\n');
    assert.deepEqual([message.code, message.stderr], [1, 'stopping here\n']);
    const crash = await runPython('def f():\n    raise ValueError("boom")\nf()\n');
    assert.equal(crash.code, 1);
    assert.match(crash.stderr, /^Traceback \(most recent call last\):\n {2}File ".*job\.py", line 3, in <module>\n/);
    assert.match(crash.stderr, /ValueError: boom\n$/);
    assert.doesNotMatch(crash.stderr, /runpy|cronium\.py/);
    const syntax = await runPython('x = (\n');
    assert.equal(syntax.code, 1);
    assert.match(syntax.stderr, /^ {2}File ".*job\.py", line 1\n[\s\S]*SyntaxError/);
  });

  it('works as python3 -m cronium and as a plain import', async () => {
    const file = scripts.write('m.py', 'print(cronium.input()["rows"][0])\n');
    const res = await run('python3', ['-m', 'cronium', file], { ...api.env(), PYTHONPATH: HELPERS });
    assert.deepEqual([res.code, res.stdout], [0, '1\n'], res.stderr);
    const plain = await run('python3', ['-c', 'import cronium; cronium.output([1, "x"])'], { ...api.env(), PYTHONPATH: HELPERS });
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(api.output, [1, 'x']);
  });

  it('fails with a clear error and a non-zero exit when the token is rejected (401)', async () => {
    const res = await runPython('cronium.input()\n', { ...api.env(), CRONIUM_EXECUTION_TOKEN: 'expired' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /cronium\.CroniumAPIError: Cronium runtime API rejected the execution token \(expired or invalid\)/);
    assert.equal(api.requests.length, 1, 'no retry on 401');
  });

  it('says the execution has ended when the runtime API answers token_expired', async () => {
    api.script.push({ status: 401, body: { success: false, error: { code: 'token_expired', kind: 'token_expired', message: 'This execution has ended (succeeded); its token no longer works' } } });
    const res = await runPython('cronium.input()\n');
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /cronium\.CroniumAPIError: Cronium runtime API refused the execution token: This execution has ended \(succeeded\); its token no longer works$/m,
    );
  });

  it('explains a 403 and exposes status and code', async () => {
    const res = await runPython(
      `import json
try:
    cronium.event()
except cronium.CroniumError as e:
    print(json.dumps({"type": type(e).__name__, "status": e.status, "code": e.code, "message": str(e)}))
`,
      { ...api.env(), CRONIUM_EXECUTION_ID: 'exec-2' },
    );
    assert.equal(res.code, 0, res.stderr);
    const [err] = jsonLines(res.stdout) as [{ type: string; status: number; code: string; message: string }];
    assert.deepEqual([err.type, err.status, err.code], ['CroniumAPIError', 403, 'forbidden']);
    assert.match(err.message, /refused access to execution exec-2: the token belongs to another execution/);
  });

  it('retries 500s and 429 (Retry-After) and then succeeds', async () => {
    api.script.push({ status: 500 }, { status: 429, headers: { 'Retry-After': '1' } }, { status: 502 });
    const res = await runPython('cronium.output("after retries")\n');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(api.requests.length, 4);
    assert.equal(api.output, 'after retries');
    assert.ok(res.ms >= 200 + 1000 + 1000, `took ${res.ms} ms`);
  });

  it('does not retry a 400 and reports the server message', async () => {
    api.script.push({ status: 400, body: { success: false, error: { code: 'bad_request', message: 'value too large' } } });
    const res = await runPython('cronium.set_variable("k", 1)\n');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /CroniumAPIError: Cronium runtime API error 400 on PUT variables\/k: value too large/);
    assert.equal(api.requests.length, 1);
  });

  it('gives up on a refused connection after 3 retries with a clear error', async () => {
    const port = await refusedPort();
    const res = await runPython('cronium.input()\n', { ...api.env(), CRONIUM_RUNTIME_API: `http://127.0.0.1:${port}/` });
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`CroniumAPIError: Cannot reach the Cronium runtime API at http://127\\.0\\.0\\.1:${port}: .*Connection refused \\(4 attempts\\)`));
    assert.ok(res.ms >= 1700, `backoff 0.2 + 0.5 + 1 s, took ${res.ms} ms`);
  });

  it('times out a silent API with CroniumTimeoutError after the retries', async () => {
    api.delayMs = 3000;
    const res = await runPython('cronium.input()\n', { ...api.env(), CRONIUM_HELPER_TIMEOUT: '0.3' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /CroniumTimeoutError: Cronium runtime API at .* did not answer GET input within 0\.3 s \(4 attempts\)/);
    assert.equal(api.requests.length, 4);
  });

  it('imports silently without the job environment and fails clearly only when a helper is called', async () => {
    const quiet = await runPython('import cronium\nprint("ok")\n', {});
    assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, 'ok\n', '']);
    const res = await runPython('data = cronium.input()\n', {});
    assert.equal(res.code, 1);
    assert.match(res.stderr, /cronium\.CroniumError: Cronium runtime helpers need CRONIUM_RUNTIME_API and CRONIUM_EXECUTION_TOKEN; run this script as a Cronium job \(cronium run FILE\)/);
  });

  it('rejects a value that is not a condition before any request', async () => {
    const res = await runPython('cronium.set_condition("maybe")\n');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /TypeError: cronium: set_condition expects True or False, got 'maybe'/);
    assert.equal(api.requests.length, 0);
  });
});
