import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RunJobRequest } from '../daemon/protocol/jobs';
import { UpdateSettingsRequest } from '../daemon/protocol/settings';
import { sshdProblem, TEST_USER, TestSshd } from '../test/helpers/sshd';
import { addTrusted } from '../test/helpers/sshTargets';
import { waitFor } from '../test/helpers/wait';
import { TerminalStatusWatcher, withDaemon } from './benchDaemon';
import { TRIVIAL_SCRIPT } from './rawSpawn';
import { verdict, type BenchOptions, type BenchReport } from './result';
import { median, p90, round, summarize } from './stats';

const TARGET_RATIO = 1.2;
const POOL_SIZE = 4;
const POOL_JOBS = 100;

/**
 * A trivial SSH job on a warm pooled connection, against `ssh -o ControlMaster=auto … bash -s < script`
 * on a warm control socket (issue 11's target: ≤ 1.2×), both to an sshd of our own on 127.0.0.1,
 * alternating. Then 100 jobs through the pool: how many logins sshd saw, and how many sessions were
 * left once the pool's idle time passed.
 */
export async function benchSsh(options: BenchOptions): Promise<BenchReport> {
  const problem = sshdProblem();
  if (problem !== undefined) throw new Error(`the ssh benchmark needs a test sshd: ${problem}`);
  const iterations = options.quick ? 30 : 150;
  const warmup = options.quick ? 5 : 20;
  const sshd = await TestSshd.start();
  try {
    return await withDaemon(async (daemon) => {
      const client = await daemon.connect('bench-ssh');
      const watcher = await TerminalStatusWatcher.attach(client);
      await addTrusted(client, 'bench', sshd);
      await client.connection.sendRequest(UpdateSettingsRequest, { sshPoolSize: POOL_SIZE, sshIdleMs: 2000 });
      const controlPath = join(daemon.scratchDir, 'cm-%C');
      const runJob = async (): Promise<number> => {
        const started = performance.now();
        const { job } = await client.connection.sendRequest(RunJobRequest, { content: TRIVIAL_SCRIPT, fileName: 'true.sh', servers: ['bench'] });
        const ended = await watcher.wait(job.id);
        if (ended.job.status !== 'succeeded') throw new Error(`trivial SSH job ${job.id} ended ${ended.job.status}: ${ended.job.lastError}`);
        return ended.at - started;
      };
      const runRaw = () => rawSsh(sshd, controlPath, TRIVIAL_SCRIPT);

      options.log(`ssh: ${warmup} warm-up + ${iterations} alternating daemon/raw iterations`);
      for (let i = 0; i < warmup; i++) {
        await runJob();
        await runRaw();
      }
      const daemonMs: number[] = [];
      const rawMs: number[] = [];
      for (let i = 0; i < iterations; i++) {
        if (i % 2 === 0) {
          daemonMs.push(await runJob());
          rawMs.push(await runRaw());
        } else {
          rawMs.push(await runRaw());
          daemonMs.push(await runJob());
        }
      }
      await rawSsh(sshd, controlPath, '', ['-O', 'exit']).catch(() => undefined);

      options.log(`ssh: ${POOL_JOBS} jobs at once through a pool of ${POOL_SIZE}`);
      await waitFor('the warm connections to close', () => sshd.sessions() === 0, 15_000, 100);
      const logins = sshd.logins;
      let most = 0;
      const sampler = setInterval(() => (most = Math.max(most, sshd.sessions())), 10);
      const started = performance.now();
      const ids = await Promise.all(
        Array.from({ length: POOL_JOBS }, () =>
          client.connection.sendRequest(RunJobRequest, { content: TRIVIAL_SCRIPT, fileName: 'true.sh', servers: ['bench'] }).then(({ job }) => job.id),
        ),
      );
      const ended = await Promise.all(ids.map((id) => watcher.wait(id)));
      const wallMs = performance.now() - started;
      clearInterval(sampler);
      const failed = ended.filter((e) => e.job.status !== 'succeeded').length;
      const poolLogins = sshd.logins - logins;
      await waitFor('the pool to close its idle connections', () => sshd.sessions() === 0, 15_000, 100).catch(() => undefined);
      const leftOpen = sshd.sessions();
      daemon.assertRunning();

      const ratio = median(daemonMs) / median(rawMs);
      return {
        name: 'ssh',
        rows: [
          {
            benchmark: 'trivial SSH job, warm pool vs ssh ControlMaster',
            measured: { value: round(median(daemonMs), 2), unit: 'ms' },
            baseline: { value: round(median(rawMs), 2), unit: 'ms' },
            comparison: { value: round(ratio, 2), unit: 'x' },
            target: `≤ ${TARGET_RATIO}×`,
            verdict: verdict(ratio <= TARGET_RATIO),
            note: `p90 ${round(p90(daemonMs), 1)} vs ${round(p90(rawMs), 1)} ms, n=${daemonMs.length}`,
          },
          {
            benchmark: `${POOL_JOBS} SSH jobs through a pool of ${POOL_SIZE}`,
            measured: { value: round(wallMs, 0), unit: 'ms' },
            baseline: null,
            comparison: null,
            target: `≤ ${POOL_SIZE} connections, 0 left open`,
            verdict: verdict(failed === 0 && poolLogins <= POOL_SIZE && most <= POOL_SIZE && leftOpen === 0),
            note: `${poolLogins} logins, ${most} sessions at most, ${leftOpen} left after idle, ${failed} failed`,
          },
        ],
        details: { daemonMs: summarize(daemonMs), rawMs: summarize(rawMs), ratio, pool: { wallMs, poolLogins, most, leftOpen, failed } },
      };
    });
  } finally {
    sshd.stop();
  }
}

/** `ssh … bash -s < script` over a control socket (the first call makes the master, which persists). */
function rawSsh(sshd: TestSshd, controlPath: string, script: string, extra: string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      'ssh',
      [
        '-i', sshd.clientKey,
        '-p', String(sshd.port),
        '-o', 'BatchMode=yes',
        '-o', `UserKnownHostsFile=${join(sshd.dir, 'known_hosts')}`,
        '-o', 'StrictHostKeyChecking=accept-new',
        '-o', 'LogLevel=ERROR',
        '-o', 'ControlMaster=auto',
        '-o', `ControlPath=${controlPath}`,
        '-o', 'ControlPersist=60',
        ...extra,
        `${TEST_USER}@127.0.0.1`,
        ...(extra.length === 0 ? ['bash', '-s'] : []),
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(script);
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`ssh exited ${code}: ${stderr}`))));
  });
}
