import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientChannel } from 'ssh2';
import type { Runtime } from '../../protocol/dto';
import type { CircuitState } from '../../protocol/servers';
import type {
  Execution,
  ExecutionHooks,
  ExecutionResult,
  ExecutionSpec,
  Executor,
  LostExecution,
  RecoveredExecution,
} from '../executor';
import { scanHostKey } from './connect';
import type { HostKey } from './hostKey';
import { execQuiet, execWithInput, resultOf } from './channels';
import { followLost } from './readopt';
import {
  bootstrapCommand,
  existsCommand,
  interactiveCommand,
  interactiveSetupScript,
  remoteDir,
  removeCommand,
  setupScript,
  signalCommand,
  uploadCommand,
} from './remoteScript';
import { ServerPool, type Lease } from './serverPool';
import { describeServer, SshFailure, type SshServerConfig, type SshSettings } from './sshServer';

/** Interpreters on the server, found on the login's PATH. */
const REMOTE_INTERPRETERS: Record<Runtime, string> = { bash: 'bash', python: 'python3', node: 'node' };
const HELPER_FILES: Record<Runtime, string> = { bash: 'cronium.sh', python: 'cronium.py', node: 'cronium.js' };
/** How long a stopping daemon waits for the last job folders to be removed. */
const CLOSE_WAIT_MS = 3000;

export interface SshExecutorOptions {
  /** A server as stored now, with its secrets opened; undefined when there is no such server. */
  server: (id: string) => SshServerConfig | undefined;
  settings: () => SshSettings;
  /** Folder of cronium.sh / .py / .js: the runtime's file travels with each script. */
  helpersDir: string;
  /** Port of the daemon's runtime API on 127.0.0.1, the far end of every reverse tunnel. */
  runtimeApiPort: () => number;
  /** The outcome of each connection or test of a server, for `servers show`. */
  onCheck: (serverId: string, check: { ok: boolean; latencyMs: number | null; error: string | null }) => void;
  log: (message: string) => void;
}

/** What the daemon knows of a server's connections now (held in memory by its pool). */
export interface SshPoolHealth {
  circuit: CircuitState;
  consecutiveFailures: number;
  retryAt: number | null;
  connections: number;
}

/** What `servers/test` found. */
export interface SshTestResult {
  ok: boolean;
  latencyMs: number | null;
  hostKey: HostKey | null;
  error: SshFailure | null;
}

/**
 * Runs scripts on SSH servers (DESIGN §3, §4): one pool of connections per server (serverPool.ts), the
 * host key checked on every connection, one exec channel per job that uploads the job's files and runs
 * it in a process group of its own (remoteScript.ts), helpers reaching the runtime API over the
 * connection's reverse tunnel. A stop signals the remote process group: TERM, then KILL after the grace.
 */
export class SshExecutor implements Executor {
  readonly kind = 'ssh';
  private readonly pools = new Map<string, ServerPool>();
  private readonly helpers = new Map<Runtime, string>();
  private readonly removals = new Set<Promise<unknown>>();

  constructor(private readonly config: SshExecutorOptions) {}

  /** Each server is checked as its jobs connect; the target itself is always there. */
  async available(): Promise<{ ok: true }> {
    return { ok: true };
  }

  start(spec: ExecutionSpec, hooks: ExecutionHooks): Execution {
    let stopRequested: number | undefined;
    let stopNow: ((graceMs: number) => void) | undefined;
    let terminal: ClientChannel | undefined;
    let ended = false;
    const done = this.run(spec, hooks, {
      stopRequested: () => stopRequested,
      onRunning: (stop, channel) => {
        stopNow = stop;
        terminal = channel;
      },
    }).finally(() => (ended = true));
    const execution: Execution = {
      done,
      stop: (graceMs) => {
        if (stopNow !== undefined) stopNow(graceMs);
        else stopRequested = Math.min(graceMs, stopRequested ?? graceMs);
      },
    };
    if (spec.interactive !== undefined) {
      // Ctrl-D ends input in a terminal: the server's pty reads it as end-of-file.
      execution.writeStdin = (data, eof) => {
        if (terminal === undefined || ended) return false;
        if (data.length > 0) terminal.write(data);
        if (eof) terminal.write('\x04');
        return true;
      };
      execution.resize = (size) => {
        if (terminal === undefined || ended) return false;
        terminal.setWindow(size.rows, size.columns, 0, 0);
        return true;
      };
    }
    return execution;
  }

  /** The connections and circuit of a server (all closed and zero when no job used it since the start). */
  health(serverId: string): SshPoolHealth {
    const pool = this.pools.get(serverId);
    if (pool === undefined) return { circuit: 'closed', consecutiveFailures: 0, retryAt: null, connections: 0 };
    return { circuit: pool.breaker.state, consecutiveFailures: pool.breaker.consecutiveFailures, retryAt: pool.breaker.retryAt, connections: pool.size };
  }

  /**
   * After a restart: an execution whose folder is still on its server is followed again from the bytes
   * its log already holds (its files were written all along), to its end, and the folder removed. One
   * whose folder is gone, whose server is gone or cannot be reached now, is given up.
   */
  async recover(lost: LostExecution[], hooksFor: (executionId: string) => ExecutionHooks): Promise<RecoveredExecution[]> {
    return Promise.all(
      lost.map(async (execution): Promise<RecoveredExecution> => {
        const gone = { executionId: execution.executionId, state: 'gone' as const };
        const { serverId, tunnelPort } = sshHandleOf(execution.handle);
        const server = serverId === undefined ? undefined : this.config.server(serverId);
        if (serverId === undefined || server === undefined) return gone;
        let lease: Lease;
        try {
          lease = await this.poolOf(serverId).lease();
        } catch (e) {
          this.config.log(`execution ${execution.executionId}: cannot reach ${server.name} to re-adopt it: ${(e as Error).message}`);
          return gone;
        }
        try {
          if ((await execQuiet(lease, existsCommand(execution.executionId))) !== 0) {
            lease.release();
            return gone;
          }
        } catch {
          lease.release();
          return gone;
        }
        // Its helpers reach the runtime API again on the port they know.
        if (tunnelPort !== undefined && !(await lease.connection.addTunnel(tunnelPort))) {
          this.config.log(`execution ${execution.executionId}: ${server.name} refused to forward port ${tunnelPort} again; its helpers cannot reach the daemon`);
        }
        return { executionId: execution.executionId, state: 'adopted', execution: followLost(execution, hooksFor(execution.executionId), lease, server) };
      }),
    );
  }

  /** Connects through the server's pool (as a job would), logs in and runs `true`. */
  async test(serverId: string): Promise<SshTestResult> {
    const server = this.config.server(serverId);
    if (server === undefined) throw new Error(`no server ${serverId}`);
    const started = Date.now();
    let lease: Lease | undefined;
    try {
      lease = await this.poolOf(serverId).lease();
      const code = await execQuiet(lease, 'true');
      if (code !== 0) throw new SshFailure('ssh_unreachable', `${describeServer(server)} could not run \`true\` (exit ${code})`);
      const latencyMs = Date.now() - started;
      this.config.onCheck(serverId, { ok: true, latencyMs, error: null });
      return { ok: true, latencyMs, hostKey: server.hostKey ?? null, error: null };
    } catch (e) {
      const error = SshFailure.isSsh(e) ? e : new SshFailure('ssh_unreachable', (e as Error).message);
      return { ok: false, latencyMs: null, hostKey: error.seenKey ?? null, error };
    } finally {
      lease?.release();
    }
  }

  /** The host key the server shows now, without logging in. */
  async scan(serverId: string): Promise<HostKey> {
    const server = this.config.server(serverId);
    if (server === undefined) throw new Error(`no server ${serverId}`);
    return scanHostKey(server, this.config.settings().connectTimeoutMs);
  }

  /**
   * The server changed (address, key, credentials): the next job connects anew, and running jobs keep
   * their connections until they end. Removed (`removed`): its connections go now, and jobs on them end.
   */
  forget(serverId: string, removed = false): void {
    const pool = this.pools.get(serverId);
    if (pool === undefined) return;
    if (removed) {
      pool.close();
      this.pools.delete(serverId);
    } else pool.drain();
  }

  settingsChanged(): void {
    for (const pool of this.pools.values()) pool.dropIdle();
  }

  async close(): Promise<void> {
    // The folders of the jobs that just ended go first (bounded: a server that hangs holds nobody up).
    await Promise.race([Promise.allSettled([...this.removals]), new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }

  /** Keeps a removal under way, so that close() waits for it. */
  private track(removal: Promise<unknown>): void {
    const settled = removal.catch(() => undefined).finally(() => this.removals.delete(settled));
    this.removals.add(settled);
  }

  private poolOf(serverId: string): ServerPool {
    let pool = this.pools.get(serverId);
    if (pool === undefined) {
      pool = new ServerPool(serverId, {
        config: () => this.config.server(serverId),
        settings: this.config.settings,
        runtimeApiPort: this.config.runtimeApiPort,
        onCheck: (check) => this.config.onCheck(serverId, check),
        log: this.config.log,
      });
      this.pools.set(serverId, pool);
    }
    return pool;
  }

  private helper(runtime: Runtime): { name: string; content: string } {
    const name = HELPER_FILES[runtime];
    let content = this.helpers.get(runtime);
    if (content === undefined) {
      content = readFileSync(join(this.config.helpersDir, name), 'utf8');
      this.helpers.set(runtime, content);
    }
    return { name, content };
  }

  private async run(
    spec: ExecutionSpec,
    hooks: ExecutionHooks,
    control: { stopRequested: () => number | undefined; onRunning: (stop: (graceMs: number) => void, terminal?: ClientChannel) => void },
  ): Promise<ExecutionResult> {
    const fail = (error: Error): ExecutionResult => ({ exitCode: null, signal: null, spawnError: error });
    if (spec.serverId === null || spec.serverId === undefined) return fail(new Error('An SSH execution needs a server'));
    const server = this.config.server(spec.serverId);
    if (server === undefined) return fail(new SshFailure('ssh_unreachable', `The server ${spec.serverId} of this job was removed`));
    let lease: Lease;
    try {
      lease = await this.poolOf(spec.serverId).lease();
    } catch (e) {
      return fail(e as Error);
    }
    let handedOff = false;
    try {
      // Stopped while it connected: it never starts (the stop's reason is its outcome).
      if (control.stopRequested() !== undefined) return { exitCode: null, signal: null };
      const { connection } = lease;
      const env = { ...spec.env };
      if (connection.tunnelPort !== null) env.CRONIUM_RUNTIME_API = `http://127.0.0.1:${connection.tunnelPort}`;
      const job = {
        executionId: spec.executionId,
        runtime: spec.runtime,
        script: spec.script,
        scriptName: spec.scriptName,
        env,
        helper: this.helper(spec.runtime),
        interpreter: REMOTE_INTERPRETERS[spec.runtime],
      };
      const pty = spec.interactive;
      if (pty !== undefined) {
        // Written first on a channel of its own: the terminal channel's stdin is the job's.
        const uploaded = await execWithInput(lease, uploadCommand(spec.executionId), interactiveSetupScript(job)).catch((e: Error) => e);
        if (uploaded !== 0) {
          const why = uploaded instanceof Error ? uploaded.message : `exit ${uploaded}`;
          return fail(new SshFailure('ssh_unreachable', `${describeServer(server)} did not take the job's files (${why})`));
        }
      }
      const setup = pty === undefined ? setupScript(job) : '';
      const channel = await new Promise<ClientChannel>((resolve, reject) => {
        const done = (error: Error | undefined, stream: ClientChannel): void => (error ? reject(error) : resolve(stream));
        if (pty === undefined) connection.client.exec(bootstrapCommand(spec.executionId), done);
        else connection.client.exec(interactiveCommand(spec.executionId), { pty: { term: 'xterm-256color', cols: pty.columns, rows: pty.rows } }, done);
      }).catch((e: Error) => new SshFailure('ssh_unreachable', `${describeServer(server)} did not open a channel for the job: ${e.message}`));
      if (channel instanceof SshFailure) return fail(channel);

      const sent = new Set<'TERM' | 'KILL'>();
      let killTimer: NodeJS.Timeout | undefined;
      const signal = (name: 'TERM' | 'KILL'): void => {
        sent.add(name);
        void execQuiet(lease, signalCommand(spec.executionId, name)).catch((e: Error) =>
          this.config.log(`execution ${spec.executionId}: could not send SIG${name} on ${server.name}: ${e.message}`),
        );
      };
      const stop = (graceMs: number): void => {
        if (graceMs <= 0) return signal('KILL');
        if (!sent.has('TERM')) signal('TERM');
        killTimer ??= setTimeout(() => {
          signal('KILL');
          // A terminal's session: closing it hangs up whatever else the job started there.
          if (pty !== undefined) channel.close();
        }, graceMs);
      };
      hooks.onStarted({
        server: server.name,
        serverId: server.id,
        host: server.host,
        port: server.port,
        dir: remoteDir(spec.executionId),
        tunnelPort: connection.tunnelPort,
      });
      control.onRunning(stop, pty === undefined ? undefined : channel);
      const pending = control.stopRequested();
      if (pending !== undefined) stop(pending);

      const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
        let exit: { code: number | null; signal: string | null } = { code: null, signal: null };
        channel.on('exit', (code: number | null, signalName?: string) => (exit = { code, signal: signalName ?? null }));
        channel.on('close', () => resolve(exit));
      });
      channel.on('data', (chunk: Buffer) => hooks.onOutput('stdout', chunk));
      channel.stderr.on('data', (chunk: Buffer) => hooks.onOutput('stderr', chunk));
      channel.on('error', () => undefined); // a write after the server closed: its exit says how it ended
      if (pty === undefined) channel.end(setup);
      const exit = await ended;
      clearTimeout(killTimer);
      // Off the job's path: the outcome is recorded at once, the folder goes right after. The connection
      // stays lent until then, so an idle close cannot come in between.
      if (pty === undefined) {
        handedOff = true;
        this.track(this.removeFolder(lease, spec.executionId, server).finally(() => lease.release()));
      }
      return resultOf(exit, sent, server);
    } finally {
      if (!handedOff) lease.release();
    }
  }

  /** Removes an ended job's folder; tried twice (a channel the server refused under load). */
  private async removeFolder(lease: Lease, executionId: string, server: SshServerConfig): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if ((await execQuiet(lease, removeCommand(executionId))) === 0) return;
      } catch (e) {
        if (attempt >= 2) {
          this.config.log(`execution ${executionId}: could not remove its folder on ${server.name}: ${(e as Error).message}`);
          return;
        }
      }
      if (attempt >= 2) return;
    }
  }
}

/** The server of an SSH execution and its tunnel port, from the handle it was given when it started. */
function sshHandleOf(handle: unknown): { serverId?: string; tunnelPort?: number } {
  if (typeof handle !== 'object' || handle === null) return {};
  const { serverId, tunnelPort } = handle as { serverId?: unknown; tunnelPort?: unknown };
  return { serverId: typeof serverId === 'string' ? serverId : undefined, tunnelPort: typeof tunnelPort === 'number' ? tunnelPort : undefined };
}

