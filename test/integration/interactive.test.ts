import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { followJob } from '../../daemon/cli/followJob';
import type { JobDto, LogLineDto } from '../../daemon/protocol/dto';
import { CancelJobRequest, ResizeTerminalRequest, RunJobRequest, WriteStdinRequest, type RunJobParams } from '../../daemon/protocol/jobs';
import { UpdateSettingsRequest } from '../../daemon/protocol/settings';
import { CLI_JS, DaemonProcess, getJob, runToEnd, startSuiteDaemon, stopSuiteDaemon } from '../helpers/daemonProcess';
import { writeScript } from '../helpers/tempHome';
import { daemonIdOf, strayResources } from '../helpers/dockerLeftovers';
import { dockerProblem, requireService } from '../helpers/services';
import { liveGroupMembers, processAlive, waitFor } from '../helpers/wait';

/** A running interactive job whose output is collected as it arrives. */
interface LiveJob {
  job: JobDto;
  output: () => string;
  finished: Promise<JobDto>;
}

async function startInteractive(client: DaemonClient, params: RunJobParams): Promise<LiveJob> {
  const { job } = await client.connection.sendRequest(RunJobRequest, { interactive: true, target: 'local', ...params });
  const lines: LogLineDto[] = [];
  const finished = followJob(client, job.id, (batch) => lines.push(...batch));
  const output = () => lines.map((l) => l.text + (l.partial ? '' : '\n')).join('');
  return { job, output, finished };
}

function rejectsWithKind(promise: Promise<unknown>, kind: string): Promise<void> {
  return assert.rejects(promise, (e: { data?: { kind?: string } }) => {
    assert.equal(e.data?.kind, kind);
    return true;
  });
}

/** Pids of every live process whose session is `sid` (the pty's session escapes the job's group). */
function liveSessionMembers(sid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[3]) === sid && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return members;
}

describe('interactive jobs (Run in Terminal)', function () {
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;

  before(async function () {
    ({ home, daemon, client } = await startSuiteDaemon());
  });

  after(() => stopSuiteDaemon({ home, daemon, client }));

  it('shows a prompt before its newline and passes what is written to stdin to a Bash read', async function () {
    const live = await startInteractive(client, { content: 'read -p "name? " n\necho "hi $n"\n', runtime: 'bash' });
    await waitFor('the prompt', () => live.output().includes('name? '));
    await client.connection.sendRequest(WriteStdinRequest, { id: live.job.id, data: 'Ada\n' });
    const final = await live.finished;
    assert.equal(final.status, 'succeeded');
    assert.equal(final.target, 'local');
    assert.match(live.output(), /hi Ada\r?\n/);
  });

  it('runs the script in a terminal of the requested size', async function () {
    const live = await startInteractive(client, {
      content: '[ -t 0 ] && [ -t 1 ] && echo tty\nstty size\necho "$TERM"\n',
      runtime: 'bash',
      terminalSize: { columns: 120, rows: 40 },
    });
    await live.finished;
    assert.match(live.output(), /^tty\r?\n40 120\r?\n.*256color/m);
  });

  it('resizes the terminal of a running job: the program gets SIGWINCH and reads the new size', async function () {
    // Bash traps WINCH and prints the size; Python reads it with os.get_terminal_size after its own signal.
    const bash = await startInteractive(client, {
      content: 'trap \'echo "now $(stty size)"\' WINCH\necho "start $(stty size)"\nwhile read -r -t 0.2 line || [ $? -gt 128 ]; do :; done\n',
      runtime: 'bash',
      terminalSize: { columns: 80, rows: 24 },
    });
    await waitFor('the first size', () => bash.output().includes('start 24 80'));
    await client.connection.sendRequest(ResizeTerminalRequest, { id: bash.job.id, columns: 132, rows: 43 });
    await waitFor('the new size', () => bash.output().includes('now 43 132'));
    await client.connection.sendRequest(ResizeTerminalRequest, { id: bash.job.id, columns: 100, rows: 30 });
    await waitFor('the next size', () => bash.output().includes('now 30 100'));
    await client.connection.sendRequest(WriteStdinRequest, { id: bash.job.id, data: '', eof: true });
    assert.equal((await bash.finished).status, 'succeeded');

    const python = await startInteractive(client, {
      content:
        'import os, signal, sys\n' +
        'signal.signal(signal.SIGWINCH, lambda *_: print("size", *os.get_terminal_size(sys.stdin.fileno()), flush=True))\n' +
        'print("ready", flush=True)\nsys.stdin.read()\n',
      runtime: 'python',
    });
    await waitFor('python to start', () => python.output().includes('ready'));
    await client.connection.sendRequest(ResizeTerminalRequest, { id: python.job.id, columns: 90, rows: 20 });
    await waitFor('the size in python', () => python.output().includes('size 90 20'));
    await client.connection.sendRequest(WriteStdinRequest, { id: python.job.id, data: '', eof: true });
    assert.equal((await python.finished).status, 'succeeded');
  });

  it('refuses to resize a job without a terminal, and one that has ended', async function () {
    const { job } = await client.connection.sendRequest(RunJobRequest, { content: 'sleep 30\n', runtime: 'bash', target: 'local' });
    await waitFor('the job to run', async () => (await getJob(client, job.id)).status === 'running');
    await rejectsWithKind(client.connection.sendRequest(ResizeTerminalRequest, { id: job.id, columns: 100, rows: 30 }), 'no_terminal');
    await client.connection.sendRequest(CancelJobRequest, { id: job.id });
    const ended = await runToEnd(client, { content: 'true\n', runtime: 'bash', interactive: true });
    await rejectsWithKind(client.connection.sendRequest(ResizeTerminalRequest, { id: ended.job.id, columns: 100, rows: 30 }), 'no_terminal');
    await rejectsWithKind(client.connection.sendRequest(ResizeTerminalRequest, { id: ended.job.id, columns: 0, rows: 30 }), 'invalid_params');
  });

  it('passes input to a Python input() and closes stdin on eof', async function () {
    const live = await startInteractive(client, {
      content: 'name = input("who? ")\nprint("hello", name)\nimport sys\nprint("rest", repr(sys.stdin.read()))\n',
      runtime: 'python',
    });
    await waitFor('the prompt', () => live.output().includes('who? '));
    await client.connection.sendRequest(WriteStdinRequest, { id: live.job.id, data: 'Grace\n' });
    await waitFor('the greeting', () => live.output().includes('hello Grace'));
    await client.connection.sendRequest(WriteStdinRequest, { id: live.job.id, data: '', eof: true });
    const final = await live.finished;
    assert.equal(final.status, 'succeeded');
    assert.match(live.output(), /rest ''/);
  });

  it('refuses stdin for a job that is not interactive, and for one that has ended', async function () {
    await client.connection.sendRequest(UpdateSettingsRequest, { killGraceMs: 300 });
    const { job } = await client.connection.sendRequest(RunJobRequest, { content: 'sleep 30\n', runtime: 'bash', target: 'local' });
    await waitFor('the job to run', async () => (await getJob(client, job.id)).status === 'running');
    await rejectsWithKind(client.connection.sendRequest(WriteStdinRequest, { id: job.id, data: 'x\n' }), 'stdin_closed');
    await client.connection.sendRequest(CancelJobRequest, { id: job.id });
    const ended = await runToEnd(client, { content: 'true\n', runtime: 'bash', interactive: true });
    await rejectsWithKind(client.connection.sendRequest(WriteStdinRequest, { id: ended.job.id, data: 'x\n' }), 'stdin_closed');
    await rejectsWithKind(client.connection.sendRequest(WriteStdinRequest, { id: 'job_000000000000', data: 'x' }), 'job_not_found');
    await client.connection.sendRequest(UpdateSettingsRequest, { killGraceMs: 5000 });
  });

  /** `cronium run -i FILE` as a user types it: in a real terminal (made by `script`), or with piped stdin. */
  function cliInteractive(file: string, inTerminal: boolean, target = 'local') {
    const args = [CLI_JS, 'run', '-i', '--target', target, file];
    const child = inTerminal
      ? spawn('script', ['-qfec', [process.execPath, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], {
          env: { ...process.env, CRONIUM_HOME: home },
          stdio: ['pipe', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, args, { env: { ...process.env, CRONIUM_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    return { child, output: () => out, exited };
  }

  it('cronium run -i passes piped stdin to the job, with its end', async function () {
    const file = writeScript(home, 'ask-pipe.py', 'name = input("who? ")\nprint("hello", name)\nimport sys\nprint("rest", repr(sys.stdin.read()))\n');
    const cli = cliInteractive(file, false);
    cli.child.stdin.end('Grace\nmore\n');
    assert.equal(await cli.exited, 0, cli.output());
    assert.match(cli.output(), /who\? (Grace\r?\n)?hello Grace\r?\n/);
    assert.match(cli.output(), /rest 'more\\n'/);
  });

  it('cronium run -i in a terminal: keys go to the job as typed, Ctrl-C interrupts the script, its exit code is ours', async function () {
    const file = writeScript(home, 'ask-tty.sh', 'read -p "name? " n\necho "hi $n"\ntrap \'echo "got INT"; exit 7\' INT\necho waiting\nwhile :; do sleep 0.1; done\n');
    const cli = cliInteractive(file, true);
    await waitFor('the prompt', () => cli.output().includes('name? '), 15_000);
    cli.child.stdin.write('Ada\r'); // Enter in a raw terminal
    await waitFor('the greeting', () => cli.output().includes('waiting'), 15_000);
    assert.match(cli.output(), /hi Ada/);
    cli.child.stdin.write('\x03');
    assert.equal(await cli.exited, 7, cli.output());
    assert.match(cli.output(), /got INT/);
  });

  it('cancels an interactive job: the script, its pty session and what it started are gone', async function () {
    await client.connection.sendRequest(UpdateSettingsRequest, { killGraceMs: 300 });
    try {
      const live = await startInteractive(client, {
        // The child ignores SIGHUP and SIGTERM: only a SIGKILL to the pty's session ends it.
        content: 'trap "" HUP TERM\n(trap "" HUP TERM; exec sleep 60) &\necho "sid $(ps -o sid= -p $$) child $!"\nwait\n',
        runtime: 'bash',
      });
      const match = await waitFor('the job to report its pids', () => /sid\s+(\d+) child (\d+)/.exec(live.output()) ?? undefined);
      const [sid, child] = [Number(match[1]), Number(match[2])];
      assert.ok(processAlive(child));
      const cancelled = await client.connection.sendRequest(CancelJobRequest, { id: live.job.id });
      assert.equal(cancelled.status, 'cancelled');
      await waitFor('the child to be gone', () => !processAlive(child), 3000);
      assert.deepEqual(liveSessionMembers(sid), []);
      assert.deepEqual(liveGroupMembers(cancelled.pid as number), [], 'nothing of the script process group is left');
    } finally {
      await client.connection.sendRequest(UpdateSettingsRequest, { killGraceMs: 5000 });
    }
  });
});

describe('interactive container jobs (Run in Terminal, target container)', function () {
  this.timeout(60_000);
  let home: string;
  let daemon: DaemonProcess;
  let client: DaemonClient;

  before(async function () {
    requireService(this, 'Docker', await dockerProblem());
    ({ home, daemon, client } = await startSuiteDaemon());
  });

  after(() => stopSuiteDaemon({ home, daemon, client }));

  const inContainer = (params: RunJobParams) => startInteractive(client, { target: 'container', ...params });
  const daemonId = () => daemonIdOf(home);

  it('prompts in a terminal inside the container and passes what is typed to a Bash read', async function () {
    const live = await inContainer({
      content: '[ -t 0 ] && [ -t 1 ] && echo "tty as $(id -u)"\nstty size\nread -p "name? " n\necho "hi $n"\n',
      runtime: 'bash',
      terminalSize: { columns: 100, rows: 30 },
    });
    await waitFor('the prompt', () => live.output().includes('name? '), 30_000);
    assert.match(live.output(), /^tty as 1000\r?\n30 100\r?\n/);
    await client.connection.sendRequest(WriteStdinRequest, { id: live.job.id, data: 'Ada\n' });
    const final = await live.finished;
    assert.equal(final.status, 'succeeded', final.lastError ?? '');
    assert.equal(final.target, 'container');
    assert.match(live.output(), /hi Ada\r?\n/);
  });

  it('keeps what is typed before the job runs, reads end of input, resizes, and cleans up', async function () {
    const live = await inContainer({
      content:
        'import os, signal, sys\n' +
        'signal.signal(signal.SIGWINCH, lambda *_: print("size", *os.get_terminal_size(0), flush=True))\n' +
        'name = input("who? ")\nprint("hello", name, flush=True)\ncronium.output({"typed": name})\n' +
        'print("rest", repr(sys.stdin.read()))\n',
      runtime: 'python',
    });
    // Typed at once, while the container is still being set up: it waits for the job.
    await client.connection.sendRequest(WriteStdinRequest, { id: live.job.id, data: 'Grace\n' });
    await waitFor('the greeting', () => live.output().includes('hello Grace'), 30_000);
    await client.connection.sendRequest(ResizeTerminalRequest, { id: live.job.id, columns: 90, rows: 20 });
    await waitFor('the new size', () => live.output().includes('size 90 20'), 10_000);
    await client.connection.sendRequest(WriteStdinRequest, { id: live.job.id, data: '', eof: true });
    const final = await live.finished;
    assert.equal(final.status, 'succeeded', final.lastError ?? '');
    assert.match(live.output(), /rest ''/);
    assert.deepEqual((await getJob(client, live.job.id)).output, { typed: 'Grace' }, 'the runtime API works from the terminal');
    await rejectsWithKind(client.connection.sendRequest(WriteStdinRequest, { id: live.job.id, data: 'x' }), 'stdin_closed');
    assert.deepEqual(await strayResources(daemonId()), []);
  });

  it('cancels an interactive container job waiting for input', async function () {
    const live = await inContainer({ content: 'read -p "wait? " x\n', runtime: 'bash' });
    await waitFor('the prompt', () => live.output().includes('wait? '), 30_000);
    const cancelled = await client.connection.sendRequest(CancelJobRequest, { id: live.job.id });
    assert.equal(cancelled.status, 'cancelled');
    assert.deepEqual(await strayResources(daemonId()), []);
  });

  it('runs target auto in a container when Docker answers', async function () {
    const live = await startInteractive(client, { target: 'auto', content: 'echo hi\n', runtime: 'bash' });
    const final = await live.finished;
    assert.equal(final.target, 'container');
  });
});
