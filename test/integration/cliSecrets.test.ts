import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { VariableDto } from '../../daemon/protocol/variables';
import { cronium } from '../helpers/cli';
import { CLI_JS } from '../helpers/daemonProcess';
import { makeTempHome, removeHome, writeScript } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';

/** Secrets handed to the CLI without putting them on its command line (issue 7, item 2). */
describe('cronium CLI: secrets off the command line', function () {
  let home: string;

  before(async function () {
    home = makeTempHome();
    assert.equal((await cronium(home, ['daemon', 'start'])).code, 0);
  });

  after(async function () {
    await cronium(home, ['daemon', 'stop']);
    removeHome(home);
  });

  /** `cronium ARGS` in a real terminal made by util-linux `script`: what the user sees, and the keys they type. */
  function inTerminal(args: string[]) {
    const command = [process.execPath, CLI_JS, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...process.env, CRONIUM_HOME: home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    child.stderr.on('data', (d: Buffer) => (screen += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    return { type: (keys: string) => child.stdin.write(keys), screen: () => screen, exited };
  }

  it('stores a secret read from stdin with --value-stdin, less its trailing newline, and masks it in job logs', async function () {
    const secret = 'stdin-s3cret-5b7e9d21';
    const set = await cronium(home, ['vars', 'set', 'stdin_token', '--secret', '--value-stdin'], { input: `${secret}\n` });
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'stdin_token = *** (secret)\n');
    const revealed = await cronium(home, ['vars', 'get', 'stdin_token', '--reveal']);
    assert.equal(revealed.stdout, `${secret}\n`);

    const script = writeScript(home, 'print-token.py', 'print("token:", cronium.get_variable("stdin_token"))\n');
    const run = await cronium(home, ['run', script, '--target', 'local']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'token: ***\n');
  });

  it('parses stdin as JSON with --json-value, dropping one trailing CRLF', async function () {
    const set = await cronium(home, ['vars', 'set', 'stdin_json', '--value-stdin', '--json-value'], { input: '{"retries": 3}\r\n' });
    assert.equal(set.code, 0, set.stderr);
    const got = JSON.parse((await cronium(home, ['vars', 'get', 'stdin_json', '--json'])).stdout) as VariableDto;
    assert.deepEqual(got.value, { retries: 3 });
    const line = await cronium(home, ['vars', 'set', 'stdin_line', '--value-stdin'], { input: 'two\nlines\n\n' });
    assert.equal(line.code, 0, line.stderr);
    assert.equal((await cronium(home, ['vars', 'get', 'stdin_line'])).stdout, 'two\nlines\n\n', 'only one newline is dropped');
  });

  it('asks for the value at a hidden prompt in a terminal: what is typed is not shown, and is stored', async function () {
    const secret = 'typed-s3cret-c4a1';
    const cli = inTerminal(['vars', 'set', 'typed_token', '--secret']);
    await waitFor('the prompt', () => cli.screen().includes('Value for typed_token: '), 15_000);
    // A typo fixed with Backspace, then Enter as a raw terminal sends it.
    cli.type(`${secret.slice(0, -1)}X\x7f${secret.slice(-1)}\r`);
    assert.equal(await cli.exited, 0, cli.screen());
    assert.match(cli.screen(), /typed_token = \*\*\* \(secret\)/);
    assert.equal(cli.screen().includes(secret.slice(0, 6)), false, `the typed value is not echoed: ${JSON.stringify(cli.screen())}`);
    const revealed = await cronium(home, ['vars', 'get', 'typed_token', '--reveal']);
    assert.equal(revealed.stdout, `${secret}\n`);
  });

  it('stores nothing and exits 130 when the prompt is left with Ctrl-C', async function () {
    const cli = inTerminal(['vars', 'set', 'abandoned_token', '--secret']);
    await waitFor('the prompt', () => cli.screen().includes('Value for abandoned_token: '), 15_000);
    cli.type('half-typed\x03');
    assert.equal(await cli.exited, 130, cli.screen());
    assert.match(cli.screen(), /cancelled; nothing stored/);
    const got = await cronium(home, ['vars', 'get', 'abandoned_token']);
    assert.equal(got.code, 1);
  });

  it('refuses to wait for a value when VALUE is left out and stdin is not a terminal', async function () {
    const result = await cronium(home, ['vars', 'set', 'no_value', '--secret']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no value for no_value: give it as VALUE, or pipe it in with --value-stdin/);
  });

  it('refuses VALUE together with --value-stdin, saying what to type instead', async function () {
    const result = await cronium(home, ['vars', 'set', 'both', 'on-the-line', '--value-stdin'], { input: 'piped\n' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /either as VALUE or on stdin, not both: `cronium vars set both VALUE` or `… \| cronium vars set both --value-stdin`/);
    assert.equal((await cronium(home, ['vars', 'get', 'both'])).code, 1, 'nothing was stored');
  });

  it("passes -e KEY with the value from the caller's environment, and -e KEY= as an empty string", async function () {
    const script = writeScript(home, 'print-env.sh', 'echo "from caller: $CALLER_TOKEN"\necho "empty: [${EMPTY_ONE-unset}]"\n');
    const result = await cronium(home, ['run', script, '--target', 'local', '-e', 'CALLER_TOKEN', '--env', 'EMPTY_ONE='], {
      env: { CALLER_TOKEN: 'caller-value-81f3' },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'from caller: caller-value-81f3\nempty: []\n');
  });

  it('refuses -e KEY when KEY is not set in the caller’s environment', async function () {
    const script = writeScript(home, 'noop.sh', 'true\n');
    const result = await cronium(home, ['run', script, '--target', 'local', '-e', 'CRONIUM_TEST_UNSET_9C1'], {
      env: { CRONIUM_TEST_UNSET_9C1: undefined },
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /-e CRONIUM_TEST_UNSET_9C1: CRONIUM_TEST_UNSET_9C1 is not set in this environment; use -e CRONIUM_TEST_UNSET_9C1=VALUE/);
  });

  it('says in the help how to keep secrets out of ps and shell history', async function () {
    const vars = await cronium(home, ['vars', 'set', '--help']);
    assert.match(vars.stdout, /--value-stdin/);
    assert.match(vars.stdout, /`ps`[\s\S]*shell history[\s\S]*leave VALUE out/);
    const run = await cronium(home, ['run', '--help']);
    assert.match(run.stdout, /-e, --env <KEY\[=VALUE\]>/);
    assert.match(run.stdout, /-e KEY takes the value of KEY in the environment cronium runs in/);
  });
});
