import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonClient } from '../../daemon/client/daemonClient';
import { DAEMON_NODE_ARGS } from '../../daemon/client/launcher';
import type { JobDto, LogLineDto } from '../../daemon/protocol/dto';
import { GetJobRequest, RunJobRequest, type RunJobParams } from '../../daemon/protocol/jobs';
import { DaemonStatusRequest } from '../../daemon/protocol/lifecycle';
import { followJob } from '../../daemon/cli/followJob';
import { makeTempHome, removeHome } from './tempHome';
import { waitFor } from './wait';

export const ROOT = join(__dirname, '..', '..');
export const DAEMON_JS = join(ROOT, 'dist', 'daemon.js');
export const CLI_JS = join(ROOT, 'dist', 'cli.js');

export interface LaunchOptions {
  /** The Node.js binary to run the daemon with; default the one running the tests. */
  node?: string;
  /** The daemon bundle; default dist/daemon.js. */
  script?: string;
}

/** A real daemon process on a temp home, as users run it. */
export class DaemonProcess {
  /** Every daemon this test process started, so a failed test cannot leave one running. */
  private static readonly started = new Set<DaemonProcess>();

  /** Stops every daemon still running (root hook after all tests). */
  static async stopAll(): Promise<void> {
    await Promise.all([...DaemonProcess.started].map((d) => (d.running ? d.kill9() : undefined)));
  }

  /** undefined while running. */
  exitCode: number | null | undefined;
  readonly exited: Promise<number | null>;
  stderr = '';
  stdoutText = '';

  private constructor(
    readonly home: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.stdout?.on('data', (d: Buffer) => (this.stdoutText += d.toString()));
  }

  /**
   * Launches a daemon and waits until it is ready: serving, and done recovering the jobs an earlier
   * daemon left (it serves during recovery too; {@link launch} is for tests that look at that).
   */
  static async start(home: string, env: NodeJS.ProcessEnv = {}, options: LaunchOptions = {}): Promise<DaemonProcess> {
    const daemon = DaemonProcess.launch(home, env, options);
    await waitFor('the daemon to be ready', async () => {
      if (daemon.exitCode !== undefined) throw new Error(`daemon exited with ${daemon.exitCode}: ${daemon.stderr}`);
      let client: DaemonClient | undefined;
      try {
        client = await DaemonClient.connect(home, 'test-probe');
        return client.info.state === 'ready' || (await client.request(DaemonStatusRequest)).state === 'ready';
      } catch {
        return false;
      } finally {
        client?.close();
      }
    });
    return daemon;
  }

  /** Spawns a foreground daemon without waiting for it to serve (or to exit, as a second one does). */
  static launch(home: string, env: NodeJS.ProcessEnv = {}, options: LaunchOptions = {}): DaemonProcess {
    const script = options.script ?? DAEMON_JS;
    if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`);
    const child = spawn(options.node ?? process.execPath, [...DAEMON_NODE_ARGS, script, '--home', home], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const daemon = new DaemonProcess(home, child);
    DaemonProcess.started.add(daemon);
    void daemon.exited.then(() => DaemonProcess.started.delete(daemon));
    return daemon;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  connect(name = 'test'): Promise<DaemonClient> {
    return DaemonClient.connect(this.home, name);
  }

  async stop(): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    return this.exited;
  }

  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Runs a script through the daemon (on the local target unless `params` says otherwise) and collects its lines and final record. */
export async function runToEnd(
  client: DaemonClient,
  params: RunJobParams,
): Promise<{ job: JobDto; lines: LogLineDto[]; stdout: string; stderr: string }> {
  const { job } = await client.connection.sendRequest(RunJobRequest, { target: 'local', ...params });
  const lines: LogLineDto[] = [];
  const final = await followJob(client, job.id, (batch) => lines.push(...batch));
  const text = (stream: string) =>
    lines
      .filter((l) => l.stream === stream)
      .map((l) => l.text + (l.partial ? '' : '\n'))
      .join('');
  return { job: final, lines, stdout: text('stdout'), stderr: text('stderr') };
}

export async function getJob(client: DaemonClient, id: string): Promise<JobDto> {
  return client.connection.sendRequest(GetJobRequest, { id });
}

/** What a suite that shares one daemon holds. */
export interface SuiteDaemon {
  home: string;
  daemon: DaemonProcess;
  client: DaemonClient;
}

/** A fresh home, its daemon and a connected client, for a suite's `before` hook. */
export async function startSuiteDaemon(): Promise<SuiteDaemon> {
  const home = makeTempHome();
  const daemon = await DaemonProcess.start(home);
  return { home, daemon, client: await daemon.connect() };
}

/** The matching `after` hook: fields may be missing when `before` failed half-way. */
export async function stopSuiteDaemon(suite: Partial<SuiteDaemon>): Promise<void> {
  suite.client?.close();
  await suite.daemon?.stop();
  if (suite.home) removeHome(suite.home);
}
