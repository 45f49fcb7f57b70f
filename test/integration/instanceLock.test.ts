import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonProcess, ROOT } from '../helpers/daemonProcess';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { processAlive, waitFor } from '../helpers/wait';

/** Starts `count` daemons on one home at the same moment; returns the one left serving. */
async function startTogether(home: string, count: number): Promise<{ winner: DaemonProcess; others: DaemonProcess[] }> {
  const daemons = Array.from({ length: count }, () => DaemonProcess.launch(home));
  // The losers exit 0 once they see the winner; the winner keeps running. Two winners would both
  // keep running, so wait for all but one to exit, with a deadline.
  await waitFor(`${count - 1} of ${count} daemons to exit`, () => daemons.filter((d) => !d.running).length >= count - 1, 15_000).catch(() => undefined);
  const running = daemons.filter((d) => d.running);
  const failed = daemons.filter((d) => !d.running && d.exitCode !== 0);
  assert.deepEqual(
    failed.map((f) => f.stderr.trim()),
    [],
    'no daemon may fail to start when others start at the same time',
  );
  assert.equal(running.length, 1, `exactly one daemon keeps running, not ${running.length}`);
  const winner = running[0];
  const others = daemons.filter((d) => d !== winner);
  for (const other of others) assert.match(other.stdoutText, new RegExp(`already running \\(pid ${winner.pid}`));
  // The losers exit as soon as they see the winner's lock, which may be before it serves (it still
  // opens and migrates the database): wait for its socket rather than race it.
  await waitFor('the winner to serve', async () => {
    try {
      (await winner.connect()).close();
      return true;
    } catch {
      return false;
    }
  });
  return { winner, others };
}

/** Runs two lock contenders in separate processes over `rounds` rounds; returns who got each lock. */
async function raceForLocks(dir: string, rounds: number): Promise<boolean[][]> {
  const worker = join(ROOT, 'test', 'helpers', 'lockRaceWorker.ts');
  const start = Date.now() + 1500; // both processes are up by then
  const runs = [0, 1].map(
    () =>
      new Promise<boolean[]>((resolve, reject) => {
        execFile(process.execPath, ['--require', 'tsx/cjs', worker, dir, String(start), String(rounds), 'daemon.js'], { cwd: ROOT }, (error, stdout) =>
          error ? reject(error) : resolve(JSON.parse(stdout) as boolean[]),
        );
      }),
  );
  return Promise.all(runs);
}

describe('one daemon per home', function () {
  this.timeout(60_000);

  for (const stale of [false, true]) {
    it(`gives a lock to exactly one of two processes taking it at the same instant, 400 times over${stale ? ', over a stale pid file' : ''}`, async function () {
      const dir = makeTempHome();
      try {
        if (stale) {
          const dead = spawnSync('true').pid as number;
          for (let round = 0; round < 400; round++) writeFileSync(join(dir, `${round}.pid`), `${dead}\n`);
        }
        const [a, b] = await raceForLocks(dir, 400);
        const both = a.flatMap((got, round) => (got && b[round] ? [round] : []));
        const neither = a.flatMap((got, round) => (!got && !b[round] ? [round] : []));
        assert.deepEqual({ both, neither }, { both: [], neither: [] });
      } finally {
        removeHome(dir);
      }
    });
  }

  it('starts exactly one of six daemons launched at the same moment on a new home, and the others name it', async function () {
    for (let round = 0; round < 3; round++) {
      const home = makeTempHome();
      try {
        const { winner } = await startTogether(home, 6);
        const client = await winner.connect();
        client.close();
        assert.equal(await winner.stop(), 0);
      } finally {
        removeHome(home);
      }
    }
  });

  it('exits 0 and frees the home when stopped while it is still starting', async function () {
    for (let round = 0; round < 10; round++) {
      const home = makeTempHome();
      try {
        const daemon = DaemonProcess.launch(home);
        const pidFile = join(home, 'daemon.pid');
        // The earliest moment the home is taken: the pid file names this daemon.
        await waitFor('the pid file', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() === String(daemon.pid), 15_000, 1);
        assert.equal(await daemon.stop(), 0, daemon.stderr);
        assert.equal(existsSync(pidFile), false, 'the pid file is released');
        const next = await DaemonProcess.start(home);
        assert.equal(await next.stop(), 0);
      } finally {
        removeHome(home);
      }
    }
  });

  it('replaces a stale pid file only once when several daemons start over it', async function () {
    const dead = spawnSync('true').pid as number;
    assert.equal(processAlive(dead), false);
    for (let round = 0; round < 3; round++) {
      const home = makeTempHome();
      try {
        writeFileSync(join(home, 'daemon.pid'), `${dead}\n`);
        const { winner } = await startTogether(home, 6);
        assert.equal(await winner.stop(), 0);
      } finally {
        removeHome(home);
      }
    }
  });
});
