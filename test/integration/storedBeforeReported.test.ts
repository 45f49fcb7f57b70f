import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isTerminalStatus, type JobStatus } from '../../daemon/protocol/dto';
import { JobStatusChangedNotification, RunJobRequest, SubscribeJobsRequest } from '../../daemon/protocol/jobs';
import { startSuiteDaemon, stopSuiteDaemon, type SuiteDaemon } from '../helpers/daemonProcess';

/** How far along each status is: a stored status may be ahead of a reported one, never behind. */
const STAGE: Record<JobStatus, number> = {
  queued: 0,
  claimed: 1,
  running: 2,
  succeeded: 3,
  failed: 3,
  cancelled: 3,
  timed_out: 3,
  partial: 3,
};

const JOBS = 150;

/**
 * The daemon groups a turn's writes in one transaction and commits it before that turn's messages
 * leave (TurnTransaction). So whatever a client hears, an answer to `jobs/run` or a status change, is
 * already in the database: a daemon killed right after it said so cannot lose it. Each message is
 * checked against the database the moment it arrives, from a connection of the test's own; a commit
 * that came after the message would be caught by some of the hundreds of checks.
 */
describe('what the daemon reports is stored first', function () {
  this.timeout(120_000);
  let suite: SuiteDaemon;
  let db: Database.Database;

  before(async () => {
    suite = await startSuiteDaemon();
    db = new Database(join(suite.home, 'cronium.db'), { readonly: true, fileMustExist: true });
  });
  after(async () => {
    db?.close();
    await stopSuiteDaemon(suite);
  });

  it('every jobs/run answer and status change of 150 jobs is in the database when it arrives', async () => {
    const read = db.prepare<[string], { status: JobStatus }>('SELECT status FROM jobs WHERE id = ?');
    const behind: string[] = [];
    let checks = 0;
    const check = (id: string, reported: JobStatus, what: string): void => {
      checks++;
      const stored = read.get(id)?.status;
      if (stored === undefined || STAGE[stored] < STAGE[reported]) behind.push(`${what}: reported ${reported}, stored ${stored ?? 'nothing'}`);
    };
    const ended = new Set<string>();
    let allEnded = (): void => undefined;
    const done = new Promise<void>((resolve) => (allEnded = resolve));
    suite.client.connection.onNotification(JobStatusChangedNotification, ({ job }) => {
      check(job.id, job.status, `status of ${job.id}`);
      if (isTerminalStatus(job.status)) ended.add(job.id);
      if (ended.size === JOBS) allEnded();
    });
    await suite.client.connection.sendRequest(SubscribeJobsRequest, {});

    // Pipelined on one connection, as a burst of submissions comes in.
    const answers = await Promise.all(
      Array.from({ length: JOBS }, (_, i) =>
        suite.client.connection
          .sendRequest(RunJobRequest, { content: `echo ${i}\n`, runtime: 'bash', target: 'local' })
          .then(({ job }) => {
            check(job.id, job.status, `answer for ${job.id}`);
            return job.id;
          }),
      ),
    );
    await done;

    assert.equal(new Set(answers).size, JOBS);
    assert.ok(checks >= JOBS * 2, `only ${checks} messages checked`);
    assert.deepEqual(behind, [], `${behind.length} of ${checks} messages ran ahead of the database`);
  });
});
