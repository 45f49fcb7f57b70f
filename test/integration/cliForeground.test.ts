import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cronium } from '../helpers/cli';
import { CLI_JS } from '../helpers/daemonProcess';
import { makeTempHome, removeHome, writeScript } from '../helpers/tempHome';
import { processAlive } from '../helpers/wait';

describe('cronium daemon start --foreground', function () {
  let home: string;

  beforeEach(function () {
    home = makeTempHome();
  });
  afterEach(async function () {
    await cronium(home, ['daemon', 'stop']);
    removeHome(home);
  });

  it('runs the daemon in the terminal it was started from, which runs jobs and stops on cronium daemon stop', async function () {
    const terminal = spawn(process.execPath, [CLI_JS, 'daemon', 'start', '--foreground'], {
      env: { ...process.env, CRONIUM_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const ready = new Promise<void>((resolve) => {
      terminal.stderr.on('data', (d: Buffer) => {
        log += d.toString();
        if (/ready: pid \d+/.test(log)) resolve();
      });
    });
    const exited = once(terminal, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    await Promise.race([ready, exited.then(() => assert.fail(`the CLI exited before the daemon was ready:\n${log}`))]);

    const status = JSON.parse((await cronium(home, ['daemon', 'status', '--json'])).stdout) as { pid: number };
    assert.equal(status.pid, terminal.pid, 'the daemon runs in the CLI process');
    const run = await cronium(home, ['run', writeScript(home, 'hi.sh', '#!/bin/bash\necho hi from the foreground daemon\n')]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hi from the foreground daemon\n');

    const stop = await cronium(home, ['daemon', 'stop']);
    assert.match(stop.stdout, new RegExp(`Cronium daemon stopped \\(pid ${terminal.pid}\\)`));
    assert.deepEqual(await exited, [0, null]);
    assert.equal(processAlive(status.pid), false);
    assert.match(log, /shutting down \(lifecycle\/shutdown\)/);
  });

  it('comes from dist/daemon.js: dist/cli.js carries neither the daemon nor its SQLite module', function () {
    const cli = readFileSync(CLI_JS, 'utf8');
    assert.doesNotMatch(cli, /require\("better-sqlite3"\)/);
    assert.doesNotMatch(cli, /\bJobQueue\b|\bJobStore\b|\bRpcServer\b/);
  });
});
