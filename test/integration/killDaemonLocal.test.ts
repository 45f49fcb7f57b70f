import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { isTerminalStatus, type JobDto } from '../../daemon/protocol/dto';
import { CancelJobRequest, ListJobsRequest, RunJobRequest } from '../../daemon/protocol/jobs';
import { DaemonProcess, getJob, runToEnd } from '../helpers/daemonProcess';
import { killProcessesWithEnv, processesWithEnv, type FoundProcess } from '../helpers/processScan';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';

/**
 * Issue 7: after a kill -9 of the daemon, a local job recorded `failed`/`daemon_lost` kept running.
 * One lucky run proves nothing about a race, so each mode repeats the scenario, killing the daemon at
 * a different moment each round: before the job is claimed, while it starts, and while it runs.
 */
const ROUNDS = Number(process.env.CRONIUM_KILL_ROUNDS ?? 20);

/** The jobs of every round: each one survives the daemon's death in a different way. */
const JOBS: Record<string, string> = {
  // Prints every 10 ms: dies of SIGPIPE soon after the daemon, unless it is between two prints.
  printer: 'i=0\nwhile [ $i -lt 10000 ]; do echo "line $i"; i=$((i+1)); sleep 0.01; done\n',
  // The group leader dies of SIGPIPE; its background child never writes and lives on.
  child: 'sleep 100 &\nwhile true; do echo tick; sleep 0.01; done\n',
  // Survives a broken pipe and a hang-up, and writes to a file, not to the dead daemon.
  deaf: "trap '' PIPE HUP\nwhile true; do echo x >> deaf.out; sleep 0.01; done\n",
};

/** How long after the submit the daemon is killed, spread over the rounds so every phase is hit. */
function killMoment(round: number): { afterRunning: boolean; delayMs: number } {
  // Every third round waits until all jobs are recorded running; the others kill within 250 ms of
  // the submit, each in its own slice of that window (before the claim, during the spawn, just after).
  if (round % 3 === 2) return { afterRunning: true, delayMs: Math.floor(Math.random() * 100) };
  const slice = Math.floor(round / 3) % 5;
  return { afterRunning: false, delayMs: Math.floor(slice * 50 + Math.random() * 50) };
}

async function allRunning(client: DaemonClient, ids: Promise<string>[]): Promise<void> {
  const known = await Promise.all(ids);
  await waitFor('the jobs to be recorded running', async () => {
    const jobs = await Promise.all(known.map((id) => getJob(client, id)));
    return jobs.every((j) => j.status === 'running');
  });
}

function recorded(job: JobDto): string {
  return `${job.name} recorded ${job.status}${job.error ? `/${job.error.kind}` : ''} (pid ${job.pid})`;
}

function list(found: FoundProcess[]): string {
  return found.map((p) => `${p.pid} ${p.command} (${p.detail})`).join('; ');
}

/**
 * While what the killed daemon left behind lives on (at most 3 s), looks for processes of jobs
 * already recorded as ended that start late: the evidence of what a leftover spawner does.
 */
async function watchLateStarts(daemonEntry: string, ended: JobDto[], reported: Set<number>): Promise<string[]> {
  const late = new Map<JobDto, FoundProcess[]>();
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && processesWithEnv(daemonEntry).length > 0) {
    for (const job of ended) {
      for (const p of processesWithEnv(`CRONIUM_JOB_ID=${job.id}`)) {
        if (reported.has(p.pid)) continue;
        reported.add(p.pid);
        late.set(job, [...(late.get(job) ?? []), p]);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [...late].map(([job, found]) => `${recorded(job)}, ${found.length} process(es) started later, first: ${list(found.slice(0, 2))}`);
}

/** One round; returns what it found left over, one line per problem, or nothing. */
async function round(index: number, modeEnv: NodeJS.ProcessEnv): Promise<string[]> {
  const home = makeTempHome();
  const first = `CRONIUM_TEST_DAEMON=${randomBytes(6).toString('hex')}`;
  const second = `CRONIUM_TEST_DAEMON=${randomBytes(6).toString('hex')}`;
  const envOf = (entry: string): NodeJS.ProcessEnv => ({ ...modeEnv, CRONIUM_TEST_DAEMON: entry.split('=')[1] });
  const problems: string[] = [];
  const moment = killMoment(index);
  const step = (what: string): void => {
    if (process.env.CRONIUM_KILL_REPORT) console.log(`  round ${index} ${home}: ${what}`);
  };
  try {
    const daemon = await DaemonProcess.start(home, envOf(first));
    const client = await daemon.connect();
    const submitted = Object.entries(JOBS).map(([name, content]) =>
      client.connection.sendRequest(RunJobRequest, { content, runtime: 'bash', target: 'local', name }).then((r) => r.job.id),
    );
    // The requests and their answers die with the daemon: their rejections are expected.
    for (const p of submitted) p.catch(() => undefined);
    if (moment.afterRunning) await allRunning(client, submitted);
    await new Promise((resolve) => setTimeout(resolve, moment.delayMs)); // the random moment itself
    await daemon.kill9();
    client.close();
    step('killed');

    const restarted = await DaemonProcess.start(home, envOf(second));
    const c2 = await restarted.connect();
    step('restarted');
    // A user runs something at once: the new daemon opens its spawner socket again.
    const after = await runToEnd(c2, { content: 'echo after\n', runtime: 'bash', name: 'after' });
    assert.equal(after.job.status, 'succeeded', after.stderr);
    step('ran a job');
    const { jobs } = await c2.connection.sendRequest(ListJobsRequest, { limit: 10 });
    const ended: JobDto[] = [];
    for (const listed of jobs.filter((j) => j.name !== 'after')) {
      // A job the first daemon never claimed runs again now; it must end cleanly when cancelled.
      ended.push(isTerminalStatus(listed.status) ? listed : await c2.connection.sendRequest(CancelJobRequest, { id: listed.id }));
    }
    step('jobs ended');
    const reported = new Set<number>();
    for (const job of ended) {
      const left = processesWithEnv(`CRONIUM_JOB_ID=${job.id}`);
      if (left.length > 0) problems.push(`${recorded(job)}, still running: ${list(left)}`);
      for (const p of left) reported.add(p.pid);
    }
    // Whatever the killed daemon started (its spawner, the jobs) is gone once the new one serves.
    const orphans = processesWithEnv(first).filter((p) => !reported.has(p.pid));
    if (orphans.length > 0) {
      problems.push(`left by the killed daemon: ${list(orphans)}`);
      problems.push(...(await watchLateStarts(first, ended, reported)));
    }
    c2.close();
    await restarted.stop();
  } finally {
    // A failed round must not leave its processes to slow down the next ones.
    killProcessesWithEnv(first);
    killProcessesWithEnv(second);
    removeHome(home);
  }
  const when = moment.afterRunning ? `${moment.delayMs} ms after running` : `${moment.delayMs} ms after submit`;
  return problems.map((p) => `round ${index} (killed ${when}): ${p}`);
}

/**
 * The job's leader dies of the broken pipe and is reaped while no daemon runs; its background child
 * lives on in the group. Not a race: on machines whose init reaps late the dead leader lingers as a
 * zombie, which hides this case from the rounds above, so it is waited for here.
 */
async function leaderGoneChildLeft(modeEnv: NodeJS.ProcessEnv): Promise<void> {
  const home = makeTempHome();
  const mark = `CRONIUM_TEST_DAEMON=${randomBytes(6).toString('hex')}`;
  try {
    const daemon = await DaemonProcess.start(home, { ...modeEnv, CRONIUM_TEST_DAEMON: mark.split('=')[1] });
    const client = await daemon.connect();
    const { job } = await client.connection.sendRequest(RunJobRequest, { content: JOBS.child, runtime: 'bash', target: 'local' });
    const running = await waitFor('the job to print', async () => {
      const j = await getJob(client, job.id);
      return j.status === 'running' && j.logLines > 0 ? j : undefined;
    });
    await daemon.kill9();
    client.close();
    const leader = running.pid as number;
    await waitFor('the dead leader to be reaped', () => !existsSync(`/proc/${leader}`), 20_000, 50);

    const restarted = await DaemonProcess.start(home, modeEnv);
    const c2 = await restarted.connect();
    const lost = await getJob(c2, job.id);
    assert.equal(lost.status, 'failed');
    assert.equal(lost.error?.kind, 'daemon_lost');
    assert.equal(list(processesWithEnv(`CRONIUM_JOB_ID=${job.id}`)), '', 'no process of the lost job is left');
    c2.close();
    await restarted.stop();
  } finally {
    killProcessesWithEnv(mark);
    removeHome(home);
  }
}

describe('kill -9 of the daemon while local jobs run', function () {
  this.timeout(ROUNDS * 10_000);

  it('ends the spawner of a killed daemon and the jobs it started, even with no restart', async function () {
    const home = makeTempHome();
    const mark = `CRONIUM_TEST_DAEMON=${randomBytes(6).toString('hex')}`;
    try {
      const daemon = await DaemonProcess.start(home, { CRONIUM_TEST_DAEMON: mark.split('=')[1] });
      const client = await daemon.connect();
      const { job } = await client.connection.sendRequest(RunJobRequest, { content: JOBS.deaf, runtime: 'bash', target: 'local' });
      await waitFor('the job to run', async () => (await getJob(client, job.id)).status === 'running');
      await daemon.kill9();
      client.close();
      // Nothing else is there to end them: the spawner must, as soon as it sees its daemon gone.
      await waitFor('the spawner and the job to end', () => processesWithEnv(mark).length === 0, 5000, 50);
    } finally {
      killProcessesWithEnv(mark);
      removeHome(home);
    }
  });

  for (const [mode, env] of [
    ['the spawner', {}],
    ['forking (CRONIUM_SPAWNER=off)', { CRONIUM_SPAWNER: 'off' }],
  ] as const) {
    it(`ends the background processes of a job whose leader died while the daemon was down, started by ${mode}`, async function () {
      await leaderGoneChildLeft(env);
    });

    it(`leaves no process of a job recorded as ended, whenever the daemon dies, started by ${mode}`, async function () {
      const problems: string[] = [];
      let failedRounds = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const found = await round(i, env);
        if (found.length > 0) failedRounds++;
        problems.push(...found);
      }
      if (process.env.CRONIUM_KILL_REPORT) console.log(`${mode}: ${failedRounds}/${ROUNDS} rounds left a process\n${problems.join('\n')}`);
      assert.deepEqual(problems, [], `${failedRounds}/${ROUNDS} rounds left a process`);
    });
  }
});
