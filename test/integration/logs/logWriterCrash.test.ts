import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import '../../helpers/sqlText';
import { openDatabase } from '../../../daemon/store/database';
import { ExecutionStore } from '../../../daemon/store/executionStore';
import { executionIdOf } from './killedLogIds';
import { LogStore } from '../../../daemon/store/logStore';
import { coerceError } from '../../../daemon/errors';
import { makeTempHome, removeHome } from '../../helpers/tempHome';

const ROOT = join(__dirname, '..', '..', '..');
/** Kills at random moments; a window of microseconds between two writes shows within a few (issue 7). */
const KILLS = Number(process.env.CRONIUM_LOG_KILLS ?? 25);
/** Lines per stream: more than the writer stores before the last kill. */
const LINES = 40_000;

/** Starts the writer; resolves with the child once it stores, and with its "finished" line. */
async function startWriter(home: string, jobId: string): Promise<{ child: ChildProcess; finished: Promise<boolean> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'killedLogWriter.ts'), JSON.stringify({ home, jobId, lines: LINES })],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => line === 'ready' && resolve());
    void exited.then(([code]) => reject(new Error(`the writer exited with ${code} before it was ready: ${stderr}`)));
  });
  const finished = new Promise<boolean>((resolve) => {
    lines.on('line', (line) => line === 'finished' && resolve(true));
    void exited.then(([code, signal]) => {
      if (signal === 'SIGKILL') resolve(false);
      else if (code !== 0) resolve(Promise.reject(new Error(`the writer failed (exit ${code}): ${stderr}`)));
      else resolve(false);
    });
  });
  finished.catch(() => undefined);
  await ready;
  return { child, finished };
}

/** What the store holds for the job: its row's resume point, and what its stored lines add up to. */
function storedState(home: string, jobId: string) {
  const db = openDatabase(join(home, 'cronium.db'));
  try {
    const job = new ExecutionStore(db, () => undefined).get(executionIdOf(jobId));
    const lines = new LogStore(db).read(executionIdOf(jobId), 0, 10 * LINES);
    const bytes = { stdout: 0, stderr: 0 };
    for (const line of lines) {
      bytes[line.stream === 1 ? 'stdout' : 'stderr'] += Buffer.byteLength(line.data) + (line.partial ? 0 : 1);
    }
    return {
      row: { seq: job?.logLines ?? 0, bytes: job?.storedBytes ?? { stdout: 0, stderr: 0 } },
      lines: { seq: lines.length === 0 ? 0 : lines[lines.length - 1].seq, bytes },
      stored: lines,
    };
  } finally {
    db.close();
  }
}

/** The exact bytes of one stream as the stored lines give them back. */
function text(lines: ReturnType<typeof storedState>['stored'], stream: 1 | 2): string {
  return lines
    .filter((l) => l.stream === stream)
    .map((l) => String(l.data) + (l.partial ? '' : '\n'))
    .join('');
}

describe('job log writer killed at random moments', function () {
  this.timeout(KILLS * 10_000 + 60_000);
  let home: string;

  before(() => (home = makeTempHome()));
  after(() => removeHome(home));

  it('never leaves a resume point that disagrees with the stored lines, so the resumed log has every line once', async function () {
    const disagreements: string[] = [];
    // After a disagreement the job goes on with a fresh one, so every kill is counted.
    let job = 0;
    let jobId = `job_killedwriter${job}`;
    let kills = 0;
    while (kills < KILLS) {
      const { child, finished } = await startWriter(home, jobId);
      // A random moment while it stores: the point of the test, so a timer and not an event.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 150));
      child.kill('SIGKILL');
      kills++;
      let problem: string | undefined;
      try {
        if (await finished) break;
        const { row, lines } = storedState(home, jobId);
        if (JSON.stringify(row) !== JSON.stringify(lines)) problem = `the job row says ${JSON.stringify(row)}, the stored lines ${JSON.stringify(lines)}`;
      } catch (e) {
        problem = coerceError(e).message.split('\n').find((l) => l.includes('Error')) ?? coerceError(e).message;
      }
      if (problem !== undefined) {
        disagreements.push(`kill ${kills}: ${problem}`);
        jobId = `job_killedwriter${++job}`;
      }
    }
    process.stdout.write(`      ${disagreements.length} of ${kills} kills left the resume point disagreeing with the stored lines\n`);
    assert.deepEqual(disagreements, []);
    const last = await startWriter(home, jobId);
    assert.equal(await last.finished, true, 'the last writer stored the rest of the output');
    await once(last.child, 'exit');

    const { row, lines, stored } = storedState(home, jobId);
    assert.deepEqual(row, lines);
    assert.ok(
      stored.every((l, i) => l.seq === i + 1),
      'sequence numbers 1, 2, 3, … with no gap',
    );
    const expected = (prefix: string) => Array.from({ length: LINES }, (_, i) => `${prefix} ${i + 1}\n`).join('');
    assert.ok(text(stored, 1) === expected('out'), 'stdout: every line once, in order');
    assert.ok(text(stored, 2) === expected('err'), 'stderr: every line once, in order');
  });
});
