import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DaemonClient } from '../daemon/client/daemonClient';
import { isTerminalStatus, type JobDto } from '../daemon/protocol/dto';
import { JobStatusChangedNotification, SubscribeJobsRequest } from '../daemon/protocol/jobs';
import { DaemonProcess } from '../test/helpers/daemonProcess';
import { makeTempHome, removeHome } from '../test/helpers/tempHome';

/** A job's last status and when (performance.now()) its notification reached the client. */
export interface TerminalJob {
  job: JobDto;
  at: number;
}

/**
 * Resolves when a job reaches a terminal status, from `jobs/didChangeStatus`. Notifications that
 * arrive before anyone waits (a fast job can end before its `jobs/run` response is handled) are kept,
 * with their arrival time, so no ending is missed and none is timed late.
 */
export class TerminalStatusWatcher {
  private readonly ended = new Map<string, TerminalJob>();
  private readonly waiters = new Map<string, (ended: TerminalJob) => void>();

  private constructor(client: DaemonClient) {
    client.connection.onNotification(JobStatusChangedNotification, ({ job }) => {
      if (!isTerminalStatus(job.status)) return;
      const ended = { job, at: performance.now() };
      const waiter = this.waiters.get(job.id);
      if (waiter === undefined) {
        this.ended.set(job.id, ended);
      } else {
        this.waiters.delete(job.id);
        waiter(ended);
      }
    });
  }

  /** Subscribes `client` to every job's status changes. */
  static async attach(client: DaemonClient): Promise<TerminalStatusWatcher> {
    const watcher = new TerminalStatusWatcher(client);
    await client.connection.sendRequest(SubscribeJobsRequest, {});
    return watcher;
  }

  wait(jobId: string): Promise<TerminalJob> {
    const ended = this.ended.get(jobId);
    if (ended !== undefined) {
      this.ended.delete(jobId);
      return Promise.resolve(ended);
    }
    return new Promise((resolve) => this.waiters.set(jobId, resolve));
  }
}

/**
 * A daemon of its own for one benchmark: a fresh temp `$CRONIUM_HOME` (fresh database, no jobs from
 * another benchmark), the real `dist/daemon.js` process, and a scratch folder for the raw baselines'
 * scripts and output files, on the same filesystem as the daemon's database.
 */
export class BenchDaemon {
  private readonly clients: DaemonClient[] = [];

  private constructor(
    readonly home: string,
    readonly process: DaemonProcess,
    readonly scratchDir: string,
  ) {}

  static async start(): Promise<BenchDaemon> {
    const home = makeTempHome();
    try {
      // CRONIUM_BENCH_DAEMON_NODE: another node (a wrapper adding --cpu-prof, say) to run the daemon with.
      const daemon = await DaemonProcess.start(home, {}, { node: process.env.CRONIUM_BENCH_DAEMON_NODE });
      const scratchDir = join(home, 'bench');
      mkdirSync(scratchDir);
      return new BenchDaemon(home, daemon, scratchDir);
    } catch (e) {
      removeHome(home);
      throw e;
    }
  }

  get pid(): number {
    return this.process.pid;
  }

  /** An initialized client, closed by {@link stop}. */
  async connect(name: string): Promise<DaemonClient> {
    const client = await this.process.connect(name);
    this.clients.push(client);
    return client;
  }

  /** Throws with the daemon's stderr when it is no longer running: a crash must not pass as a slow run. */
  assertRunning(): void {
    if (!this.process.running) throw new Error(`The daemon exited during the benchmark: ${this.process.stderr}`);
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.close();
    try {
      await this.process.stop();
    } finally {
      removeHome(this.home);
    }
  }
}

/** Runs `fn` against a fresh daemon and always stops it and removes its home. */
export async function withDaemon<T>(fn: (daemon: BenchDaemon) => Promise<T>): Promise<T> {
  const daemon = await BenchDaemon.start();
  try {
    return await fn(daemon);
  } finally {
    await daemon.stop();
  }
}
