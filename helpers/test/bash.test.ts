// helpers/cronium.sh: real bash processes with BASH_ENV=cronium.sh (as in cronium/bash and local jobs).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { refusedPort, startFakeApi } from './fakeApi';
import { CRONIUM_SH, jsonLines, run, scriptDir } from './run';

type FakeApi = Awaited<ReturnType<typeof startFakeApi>>;

function have(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('helpers: Bash (cronium.sh)', function () {
  this.timeout(30_000);
  let api: FakeApi;
  let scripts: ReturnType<typeof scriptDir>;

  before(async () => {
    scripts = scriptDir(); // in a hook: a --grep that skips this suite creates nothing
    api = await startFakeApi({ input: { rows: [1, 2, 3] }, variables: { greeting: 'hello world', limits: { max: 5 }, n: 7 } });
  });
  afterEach(() => api.reset());
  after(async () => {
    await api.close();
    scripts.remove();
  });

  function runBash(source: string, env: Record<string, string | undefined> = api.env(), name = 'job.sh') {
    const file = scripts.write(name, source);
    return run('bash', [file], { BASH_ENV: CRONIUM_SH, ...env });
  }

  const ALL_HELPERS = `set -euo pipefail
cronium_input
echo "greeting=$(cronium_get_variable greeting)"
cronium_get_variable limits
echo "missing=[$(cronium_get_variable no-such-variable)]"
cronium_set_variable count 3
cronium_set_variable note 'not json: {'
cronium_set_variable obj '{ "a": [1, true, null] }'
cronium_set_condition yes
cronium_event
echo "eventName=$(cronium_event_field eventName)"
cronium_output 'plain text, "quoted"'
`;

  function checkAllHelpers(res: { code: number | null; stdout: string; stderr: string }) {
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
    const lines = res.stdout.split('\n');
    assert.deepEqual(JSON.parse(lines[0]), { rows: [1, 2, 3] });
    assert.equal(lines[1], 'greeting=hello world', 'a string prints raw');
    assert.equal(lines[2], '{"max":5}', 'other JSON prints compact');
    assert.equal(lines[3], 'missing=[]');
    assert.deepEqual(JSON.parse(lines[4]), api.context);
    assert.equal(lines[5], 'eventName=Nightly report');
    assert.equal(api.variables.get('count'), 3);
    assert.equal(api.variables.get('note'), 'not json: {');
    assert.deepEqual(api.variables.get('obj'), { a: [1, true, null] });
    assert.equal(api.condition, true);
    assert.equal(api.output, 'plain text, "quoted"');
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
        'PUT /executions/exec-1/variables/obj',
        'POST /executions/exec-1/condition',
        'GET /executions/exec-1/context',
        'GET /executions/exec-1/context',
        'POST /executions/exec-1/output',
      ],
    );
    for (const c of calls) assert.equal(c.headers.authorization, 'Bearer test-token');
    assert.deepEqual(calls[7].body, { condition: true });
  }

  it('runs every helper under set -euo pipefail (JSON with jq)', async function () {
    if (!have('jq')) this.skip();
    checkAllHelpers(await runBash(ALL_HELPERS, { ...api.env(), CRONIUM_JSON_TOOL: 'jq' }));
  });

  it('gives the same results with python3 and with node for JSON (no jq on the host)', async () => {
    for (const tool of ['python3', 'node']) {
      api.reset();
      checkAllHelpers(await runBash(ALL_HELPERS, { ...api.env(), CRONIUM_JSON_TOOL: tool }));
    }
  });

  it('sends JSON values as JSON and anything else as a string, with every JSON tool', async () => {
    const tools = ['python3', 'node', ...(have('jq') ? ['jq'] : [])];
    const values = ['42', ' false ', 'null', '"already a string"', '[1, {"b": 2}]', '1 2', 'NaN', 'Infinity', '1e999', '', 'multi\nline', 'ünïcödé \\ $HOME'];
    for (const tool of tools) {
      api.reset();
      const script = values.map((v, i) => `cronium_set_variable v${i} ${shellQuote(v)}`).join('\n') + '\necho \'{"piped": true}\' | cronium_output -\n';
      const res = await runBash(script, { ...api.env(), CRONIUM_JSON_TOOL: tool });
      assert.equal(res.code, 0, `${tool}: ${res.stderr}`);
      const got = values.map((_, i) => api.variables.get(`v${i}`));
      assert.deepEqual(got, [42, false, null, 'already a string', [1, { b: 2 }], '1 2', 'NaN', 'Infinity', '1e999', '', 'multi\nline', 'ünïcödé \\ $HOME'], tool);
      assert.deepEqual(api.output, { piped: true }, tool);
    }
  });

  it('URL-encodes variable keys', async () => {
    const res = await runBash(`cronium_set_variable 'a key/with ünïcode' 1\n`);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(api.calls()[0].path, '/executions/exec-1/variables/a%20key%2Fwith%20%C3%BCn%C3%AFcode');
  });

  it('is sourced silently by every bash, even without the job environment or with set -u in SHELLOPTS', async () => {
    for (const env of [{}, api.env(), { SHELLOPTS: 'errexit:nounset:pipefail' }]) {
      const res = await run('bash', ['-c', 'true'], { BASH_ENV: CRONIUM_SH, ...env });
      assert.deepEqual([res.code, res.stdout, res.stderr], [0, '', '']);
    }
    const listed = await run('bash', ['-c', 'declare -F | grep -c " cronium_"'], { BASH_ENV: CRONIUM_SH });
    assert.equal(listed.stdout.trim(), '7');
  });

  it("keeps the caller's shell options, traps and variables as they were", async () => {
    const state = 'echo "$(set +o | sort | tr "\\n" " ") $(shopt -p | sort | tr "\\n" " ") [$(trap -p ERR)] [$IFS] $(umask)"';
    const res = await runBash(`set -euo pipefail
set -E
trap 'echo ERR-TRAP >&2' ERR
shopt -s nullglob
IFS=,
umask 022
before=$(${state})
cronium_input >/dev/null
cronium_set_condition false
if ! cronium_get_variable "" 2>/dev/null; then :; fi
( CRONIUM_EXECUTION_TOKEN=bad cronium_output 1 2>/dev/null ) || true
after=$(${state})
[ "$before" = "$after" ] && echo same || { echo "before: $before"; echo "after:  $after"; }
`);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'same\n');
    assert.equal(res.stderr, '', 'the ERR trap of the caller is not run inside the helpers');
  });

  it('never prints the token under set -x', async () => {
    const res = await runBash('set -x\ncronium_input\ncronium_output \'{"a":1}\'\n');
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /test-token/);
    assert.match(res.stderr, /\+ cronium_input/);
  });

  it('fails with a clear message and a non-zero status when the token is rejected (401)', async () => {
    const res = await runBash('set -e\ncronium_input\necho not reached\n', { ...api.env(), CRONIUM_EXECUTION_TOKEN: 'expired' });
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.equal(res.stderr, 'cronium: Cronium runtime API rejected the execution token (expired or invalid): token expired\n');
    assert.equal(api.requests.length, 1, 'no retry on 401');
  });

  it('says the execution has ended when the runtime API answers token_expired, with every JSON tool', async () => {
    const tools = ['python3', 'node', ...(have('jq') ? ['jq'] : [])];
    for (const tool of tools) {
      api.reset();
      api.script.push({ status: 401, body: { success: false, error: { code: 'token_expired', kind: 'token_expired', message: 'This execution has ended (succeeded); its token no longer works' } } });
      const res = await runBash('cronium_input\n', { ...api.env(), CRONIUM_JSON_TOOL: tool });
      assert.equal(res.code, 1, tool);
      assert.equal(
        res.stderr,
        'cronium: Cronium runtime API refused the execution token: This execution has ended (succeeded); its token no longer works\n',
        tool,
      );
    }
  });

  it('explains a 403', async () => {
    const res = await runBash('cronium_event || echo "status $?"\n', { ...api.env(), CRONIUM_EXECUTION_ID: 'exec-2' });
    assert.equal(res.stdout, 'status 1\n');
    assert.match(res.stderr, /^cronium: Cronium runtime API refused access to execution exec-2: the token belongs to another execution/);
  });

  it('retries 500s and 429 (Retry-After) and then succeeds', async () => {
    api.script.push({ status: 500 }, { status: 429, headers: { 'Retry-After': '1' } }, { status: 503 });
    const res = await runBash('cronium_output \'{"ok": true}\'\n');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(api.requests.length, 4);
    assert.deepEqual(api.output, { ok: true });
    assert.ok(res.ms >= 200 + 1000 + 1000, `took ${res.ms} ms`);
  });

  it('does not retry a 400 and reports the server message', async () => {
    api.script.push({ status: 400, body: { success: false, error: { code: 'bad_request', message: 'value too large' } } });
    const res = await runBash('cronium_set_variable k 1\n');
    assert.equal(res.code, 1);
    assert.equal(res.stderr, 'cronium: Cronium runtime API error 400 on PUT variables/k: value too large\n');
    assert.equal(api.requests.length, 1);
  });

  it('gives up on a refused connection after 3 retries with a clear error', async () => {
    const port = await refusedPort();
    const res = await runBash('cronium_input\n', { ...api.env(), CRONIUM_RUNTIME_API: `http://127.0.0.1:${port}` });
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`^cronium: Cannot reach the Cronium runtime API at http://127\\.0\\.0\\.1:${port}: .* \\(4 attempts\\)\\n$`));
    assert.ok(res.ms >= 1700, `backoff 0.2 + 0.5 + 1 s, took ${res.ms} ms`);
  });

  it('times out a silent API after the retries', async () => {
    api.delayMs = 3000;
    const res = await runBash('cronium_input\n', { ...api.env(), CRONIUM_HELPER_TIMEOUT: '0.3' });
    assert.equal(res.code, 1);
    assert.equal(res.stderr, `cronium: Cronium runtime API at ${api.url} did not answer GET input within 0.3 s (4 attempts)\n`);
    assert.equal(api.requests.length, 4);
  });

  it('reports a missing environment, curl or JSON tool only when a helper is called', async () => {
    const missing = await runBash('echo start\ncronium_input || echo "status $?"\n', {});
    assert.equal(missing.stdout, 'start\nstatus 1\n');
    assert.equal(missing.stderr, 'cronium: Cronium runtime helpers need CRONIUM_RUNTIME_API and CRONIUM_EXECUTION_TOKEN; run this script as a Cronium job (cronium run FILE)\n');
    // A PATH with bash and coreutils only: no curl, no jq/python3/node.
    const bin = join(scripts.dir, 'bin');
    mkdirSync(bin);
    for (const tool of ['bash', 'mktemp', 'rm', 'cat', 'head', 'sleep']) {
      symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`]).toString().trim(), join(bin, tool));
    }
    const noCurl = await runBash('cronium_input\n', { ...api.env(), PATH: bin });
    assert.deepEqual([noCurl.code, noCurl.stderr], [1, 'cronium: cronium.sh needs curl to reach the Cronium runtime API; install curl\n']);
    symlinkSync(execFileSync('sh', ['-c', 'command -v curl']).toString().trim(), join(bin, 'curl'));
    const noJson = await runBash('cronium_input\n', { ...api.env(), PATH: bin });
    assert.deepEqual([noJson.code, noJson.stderr], [1, 'cronium: cronium.sh needs jq (or python3 or node) to read JSON; install jq\n']);
    assert.equal(api.requests.length, 0);
  });

  it('rejects usage errors with status 2', async () => {
    const res = await runBash('cronium_set_condition maybe; echo "s=$?"\ncronium_output; echo "s=$?"\ncronium_get_variable ""; echo "s=$?"\n');
    assert.equal(res.stdout, 's=2\ns=2\ns=2\n');
    assert.match(res.stderr, /usage: cronium_set_condition true\|false/);
    assert.equal(api.requests.length, 0);
  });

  it('sets the condition from every accepted spelling', async () => {
    const res = await runBash('for v in true 1 yes on TRUE false 0 no off Off; do cronium_set_condition "$v"; done\n');
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(
      api.calls().map((c) => (c.body as { condition: boolean }).condition),
      [true, true, true, true, true, false, false, false, false, false],
    );
    assert.deepEqual(jsonLines(res.stdout), []);
  });
});

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
