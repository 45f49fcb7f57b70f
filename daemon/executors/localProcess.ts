import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Runtime } from '../protocol/dto';
import type {
  Execution,
  ExecutionHooks,
  ExecutionResult,
  ExecutionSpec,
  Executor,
  LostExecution,
  RecoveredExecution,
} from './executor';
import { endLostProcesses } from './lostProcesses';
import { deprioritize, groupAlive, liveGroupMembers, processStartTime, signalGroup } from './processGroup';
import { PTY_PROGRAM, ptyLaunch, ptySessionOf, resizeSessionTerminal, signalSession } from './ptyCommand';
import { scriptExtension } from './runtimes';
import { SpawnerGone, type JobProcess, type Spawner } from './spawner';

/** Command line (before the script path) per runtime. */
export type Interpreters = Record<Runtime, string[]>;

export function defaultInterpreters(env: NodeJS.ProcessEnv = process.env): Interpreters {
  return {
    bash: [env.CRONIUM_BASH ?? 'bash'],
    python: [env.CRONIUM_PYTHON ?? 'python3'],
    // The daemon's own Node (>= 20) unless told otherwise.
    node: [env.CRONIUM_NODE ?? process.execPath],
  };
}

/** After the main process exits, how long leftover processes of its group may keep the pipes open. */
const LEFTOVER_GRACE_MS = 2000;

/** How often, and how long at most, the end of a job waits for its last processes to be gone after a SIGKILL. */
const GONE_POLL_MS = 25;
const GONE_WAIT_MS = LEFTOVER_GRACE_MS + 5000;

export interface LocalExecutorOptions {
  runDir: string;
  /** Niceness host jobs run at (setting `jobNice`); none: the daemon's own priority. */
  jobNice?: () => number;
  /** Folder of cronium.sh / cronium.py / cronium.js, preloaded so scripts have the global `cronium`. */
  helpersDir: string;
  /** Base URL of the daemon's runtime API listener on 127.0.0.1. */
  runtimeApiUrl: () => string;
  interpreters?: Interpreters;
  /** Starts non-interactive jobs without forking the daemon; without it, the daemon forks itself. */
  spawner?: Spawner;
  /** Where recovery says what it ended (the daemon log). */
  log?: (message: string) => void;
}

/**
 * Runs a script as a process on the host, in a process group of its own (so cancel and timeout reach
 * everything it started), with stdin closed and the given environment and working directory.
 * Interactive jobs keep stdin open and run inside a pseudo-terminal made by util-linux `script`.
 */
export class LocalProcessExecutor implements Executor {
  readonly kind = 'local';

  private readonly interpreters: Interpreters;

  constructor(private readonly config: LocalExecutorOptions) {
    this.interpreters = config.interpreters ?? defaultInterpreters();
  }

  async available(): Promise<{ ok: true }> {
    return { ok: true };
  }

  /**
   * Local processes cannot be re-adopted (their output pipes died with the daemon): everything left
   * of a lost job is ended, and only then is the job given up, so no job is recorded as ended while a
   * process of it runs.
   */
  async recover(lost: LostExecution[]): Promise<RecoveredExecution[]> {
    // First the spawner the killed daemon may have left: until it is gone it may still start jobs.
    await this.config.spawner?.endStale();
    const ended = await endLostProcesses(
      lost.map((execution) => {
        const handle = localHandleOf(execution.handle);
        return { executionId: execution.executionId, pid: handle?.pid ?? null, pidStart: handle?.pidStart ?? null };
      }),
    );
    for (const { executionId, killed, left } of ended) {
      if (killed.length > 0) this.config.log?.(`execution ${executionId}: ended ${killed.length} process(es) the previous daemon left`);
      if (left.length > 0) this.config.log?.(`execution ${executionId}: could not end pid ${left.join(', ')}`);
    }
    for (const file of readdirSync(this.config.runDir)) removeQuietly(join(this.config.runDir, file));
    return lost.map((execution) => ({ executionId: execution.executionId, state: 'gone' as const }));
  }

  /** Command line and environment that run `file` with the helpers preloaded (helpers/README.md). */
  private launch(spec: ExecutionSpec, file: string): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
    const helpers = this.config.helpersDir;
    const [command, ...base] = this.interpreters[spec.runtime];
    const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env, CRONIUM_RUNTIME_API: this.config.runtimeApiUrl() };
    switch (spec.runtime) {
      case 'bash':
        return { command, args: [...base, file], env: { ...env, BASH_ENV: join(helpers, 'cronium.sh') } };
      case 'python':
        // Unbuffered, or a script's prints reach the log only when its 8 KiB pipe buffer fills.
        return { command, args: [...base, join(helpers, 'cronium.py'), file], env: { ...env, PYTHONUNBUFFERED: '1' } };
      case 'node': {
        const nodePath = env.NODE_PATH ? `${helpers}${delimiter}${env.NODE_PATH}` : helpers; // require('cronium')
        return { command, args: [...base, '--require', join(helpers, 'cronium.js'), file], env: { ...env, NODE_PATH: nodePath } };
      }
    }
  }

  start(spec: ExecutionSpec, hooks: ExecutionHooks): Execution {
    const file = join(this.config.runDir, `${spec.executionId}${scriptExtension(spec.runtime, spec.scriptName)}`);
    const pty = spec.interactive;
    let stopTimer: NodeJS.Timeout | undefined;
    let discoverTimer: NodeJS.Timeout | undefined;
    let pgid: number | undefined;
    let ptySid: number | undefined;
    let stdin: Writable | undefined;
    // The pty's session escapes our process group (see ptySessionOf): every kill reaches both.
    const kill = (signal: NodeJS.Signals): void => {
      if (pgid === undefined) return;
      if (pty !== undefined) ptySid ??= ptySessionOf(pgid);
      signalGroup(pgid, signal);
      if (ptySid !== undefined) signalSession(ptySid, signal);
    };

    // Zombies do not count: an orphan's parent may be an init that reaps late.
    const jobAlive = (): boolean =>
      (pgid !== undefined && groupAlive(pgid) && liveGroupMembers(pgid).length > 0) ||
      (ptySid !== undefined && signalSession(ptySid, 0));

    let stopRequested: number | undefined;
    let ended = false;
    const done = new Promise<ExecutionResult>((resolve) => {
      const cwdProblem = checkDirectory(spec.cwd);
      if (cwdProblem !== undefined) {
        resolve({ exitCode: null, signal: null, spawnError: new Error(cwdProblem) });
        return;
      }
      writeFileSync(file, spec.script, { mode: 0o700 });
      const plain = this.launch(spec, file);
      const { command, args, env } = pty === undefined ? plain : ptyLaunch(plain.command, plain.args, plain.env, pty);
      const spawner = pty === undefined && this.config.spawner?.usable ? this.config.spawner : undefined;
      // Background work yields the CPU to the daemon (and the editor); a job someone types into does not.
      const nice = pty === undefined ? (this.config.jobNice?.() ?? 0) : 0;
      let child: JobProcess;
      if (spawner !== undefined) {
        child = spawner.spawn({ argv: [command, ...args], env, cwd: spec.cwd, nice });
      } else {
        const node = nodeJobProcess(command, args, env, spec.cwd, pty !== undefined);
        child = node;
        if (node.stdin !== undefined) stdin = node.stdin;
      }
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      // Nothing of the group was left when the leader exited: none can join it later, no need to look again.
      let groupGone = false;
      let leftoverTimer: NodeJS.Timeout | undefined;
      let goneTimer: NodeJS.Timeout | undefined;
      const finish = (result: ExecutionResult): void => {
        clearTimeout(goneTimer);
        ended = true;
        clearTimeout(leftoverTimer);
        clearTimeout(stopTimer);
        clearTimeout(discoverTimer);
        removeQuietly(file);
        resolve(result);
      };
      // A leftover that let go of the output (redirected it, ignored SIGTERM) would outlive the job's
      // record, and with the timers cleared by `finish` it would never get its SIGKILL: the end is
      // recorded once nothing of the job runs, or after a bound (a process stuck in the kernel).
      const finishWhenGone = (result: ExecutionResult): void => {
        const giveUpAt = Date.now() + GONE_WAIT_MS;
        const check = (): void => {
          if (!jobAlive() || Date.now() > giveUpAt) finish(result);
          else goneTimer = setTimeout(check, GONE_POLL_MS);
        };
        check();
      };

      child.on('error', (e) => {
        if (e instanceof SpawnerGone) {
          // Its exit status is lost with the spawner: end what is left of it rather than leave it unwatched.
          kill('SIGKILL');
          finishWhenGone({ exitCode: null, signal: null, spawnError: e });
          return;
        }
        // Start failures (interpreter missing) arrive here, with no other event.
        const error = pty === undefined ? interpreterError(command, spec.runtime, e) : ptyError(e);
        finish({ exitCode: null, signal: null, spawnError: error });
      });
      child.on('spawn', (pid, pidStart) => {
        pgid = pid;
        // The spawner has done so already; a forked job (and its pty session) is lowered here.
        if (spawner === undefined) deprioritize(pid, nice);
        hooks.onStarted({ pid, pidStart });
        // A stop that came while the process was being started applies now.
        if (stopRequested !== undefined) stop(stopRequested);
        // Learn the pty session early: once `script` is gone its child is reparented and harder to tell.
        if (pty !== undefined) discoverTimer = setTimeout(() => (ptySid ??= ptySessionOf(pid)), 100);
      });
      child.on('output', (stream, chunk) => {
        if (pty !== undefined && ptySid === undefined && pgid !== undefined) ptySid = ptySessionOf(pgid);
        hooks.onOutput(stream, chunk);
      });
      child.on('exit', (code, signal) => {
        exit = { code, signal };
        // Background processes the script left behind would hold the output open: end them.
        const leftover = (pgid !== undefined && groupAlive(pgid)) || (ptySid !== undefined && signalSession(ptySid, 0));
        groupGone = !leftover;
        if (leftover) {
          kill('SIGTERM');
          leftoverTimer = setTimeout(() => kill('SIGKILL'), LEFTOVER_GRACE_MS);
        }
      });
      child.on('close', () => {
        if (exit === undefined) return;
        const result = { exitCode: exit.code, signal: exit.signal };
        if (groupGone) finish(result);
        else finishWhenGone(result);
      });
    });

    const stop = (graceMs: number): void => {
      if (pgid === undefined) {
        stopRequested = Math.min(graceMs, stopRequested ?? graceMs);
        return;
      }
      kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
      if (graceMs > 0 && stopTimer === undefined) {
        stopTimer = setTimeout(() => kill('SIGKILL'), graceMs);
      }
    };

    // Sizes apply one after the other, so the last one asked for is the one the job ends up with.
    let sizing: Promise<unknown> = Promise.resolve();
    const applySize = async (size: { columns: number; rows: number }): Promise<void> => {
      // Right after the start, `script` may not have made the job's session yet.
      for (let tries = 0; ptySid === undefined && tries < 40 && !ended; tries++) {
        if (pgid !== undefined) ptySid = ptySessionOf(pgid);
        if (ptySid === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      if (ptySid !== undefined && !ended) await resizeSessionTerminal(ptySid, size);
    };

    return {
      done,
      stop,
      ...(pty === undefined
        ? {}
        : {
            writeStdin: (data: Buffer | string, eof?: boolean): boolean => {
              if (stdin === undefined || stdin.writableEnded || stdin.destroyed) return false;
              if (data.length > 0) stdin.write(data);
              if (eof) stdin.end();
              return true;
            },
            resize: (size: { columns: number; rows: number }): boolean => {
              if (ended) return false;
              sizing = sizing.then(() => applySize(size));
              return true;
            },
          }),
    };
  }
}

/** A job process started by forking the daemon (interactive jobs, or when no spawner is set up). */
function nodeJobProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  withStdin: boolean,
): JobProcess & EventEmitter & { stdin?: Writable } {
  const child = spawn(command, args, {
    cwd,
    env,
    detached: true, // setsid: the job leads its own process group
    stdio: [withStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const job = Object.assign(new EventEmitter(), { stdin: child.stdin ?? undefined });
  // EPIPE when the job exits while input is on its way: the input is simply lost.
  child.stdin?.on('error', () => undefined);
  child.once('spawn', () => {
    const pid = child.pid as number;
    job.emit('spawn', pid, processStartTime(pid));
  });
  child.on('error', (e) => {
    // After a successful start, errors are about signalling it: not a start failure.
    if (child.pid === undefined) job.emit('error', e);
  });
  (child.stdout as Readable).on('data', (chunk: Buffer) => job.emit('output', 'stdout', chunk));
  (child.stderr as Readable).on('data', (chunk: Buffer) => job.emit('output', 'stderr', chunk));
  child.once('exit', (code, signal) => job.emit('exit', code, signal));
  child.once('close', () => job.emit('close'));
  return job;
}

/** The handle local executions give `onStarted`: the group leader and its start time (to tell a reused pid apart). */
function localHandleOf(handle: unknown): { pid: number; pidStart: string } | undefined {
  if (typeof handle !== 'object' || handle === null) return undefined;
  const { pid, pidStart } = handle as { pid?: unknown; pidStart?: unknown };
  return typeof pid === 'number' && typeof pidStart === 'string' ? { pid, pidStart } : undefined;
}

function checkDirectory(dir: string): string | undefined {
  try {
    if (!statSync(dir).isDirectory()) return `Working directory ${dir} is not a directory`;
    return undefined;
  } catch {
    return `Working directory ${dir} does not exist`;
  }
}

function interpreterError(command: string, runtime: Runtime, cause: Error): Error {
  const hint = { bash: 'CRONIUM_BASH', python: 'CRONIUM_PYTHON', node: 'CRONIUM_NODE' }[runtime];
  return new Error(
    `Could not start ${command} for a ${runtime} script (${cause.message}); install it or set ${hint} to its path`,
  );
}

function ptyError(cause: Error): Error {
  return new Error(
    `Could not start ${PTY_PROGRAM}, which gives interactive jobs a terminal (${cause.message}); install util-linux or set CRONIUM_SCRIPT to its path`,
  );
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone: nothing to clean.
  }
}
