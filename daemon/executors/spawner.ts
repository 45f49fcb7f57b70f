import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { accessSync, chmodSync, constants, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { delimiter, join } from 'node:path';
import type { LogStream } from '../protocol/dto';
import { endMarkedProcesses } from './lostProcesses';

/**
 * A job process as the local executor sees it, however it was started. Events:
 * - `spawn` (pid, pidStart): it runs;
 * - `output` (stream, chunk): raw output, in order per stream, only after `spawn`;
 * - `exit` (code, signal): the main process ended;
 * - `close`: it exited and both output streams ended;
 * - `error` (error): it could not be started (no other event follows), or the spawner died under it.
 */
export interface JobProcess {
  on(event: 'spawn', listener: (pid: number, pidStart: string | null) => void): this;
  on(event: 'output', listener: (stream: LogStream, chunk: Buffer) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: 'error', listener: (error: Error & { code?: string; path?: string }) => void): this;
}

export interface SpawnRequest {
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Niceness of the job (and its session's autogroup); 0 leaves it at the spawner's. */
  nice?: number;
}

/** What the spawner writes back, one JSON object per line (see spawner.py). */
type SpawnerMessage =
  | { id: number; pid: number; start: string | null }
  | { id: number | null; error: string; code: string; path: string | null }
  | { id: number; exit: number | null; signal: string | null };

/** Marks the spawner of a home in its environment (the value is the home's spawner socket). */
const SPAWNER_ENV = 'CRONIUM_SPAWNER_FOR';

/** After a job's exit, how long its output connections may take to come in. */
const ATTACH_GRACE_MS = 10_000;

/** Largest header line ("KEY N\n") a log connection may open with. */
const HEADER_MAX = 128;

/**
 * The job side of one spawned process: its output arrives on two connections to the spawner socket,
 * its pid and exit status as messages from the spawner.
 */
class SpawnedJob extends EventEmitter implements JobProcess {
  private started = false;
  private exited = false;
  private closed = false;
  private openStreams = 2;
  private attachTimer: NodeJS.Timeout | undefined;
  /** Output that came in before the `spawn` message (the connections race the spawner's stdout). */
  private early: [LogStream, Buffer][] = [];
  readonly sockets: Socket[] = [];

  constructor(
    readonly key: string,
    /** Forgets the key: called once the job is closed or failed. */
    private readonly release: () => void,
  ) {
    super();
  }

  /** How many of the two output connections have come in. */
  get attached(): number {
    return this.sockets.length;
  }

  attach(stream: LogStream, socket: Socket, first: Buffer): void {
    this.sockets.push(socket);
    clearTimeout(this.attachTimer);
    const deliver = (chunk: Buffer): void => {
      if (this.started) this.emit('output', stream, chunk);
      else this.early.push([stream, chunk]);
    };
    if (first.length > 0) deliver(first);
    socket.on('data', deliver);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.openStreams--;
      this.maybeClose();
    };
    socket.once('end', end);
    socket.once('close', end);
    // ECONNRESET and the like end the stream; they must not crash the daemon.
    socket.on('error', () => undefined);
  }

  onSpawned(pid: number, pidStart: string | null): void {
    this.started = true;
    this.emit('spawn', pid, pidStart);
    for (const [stream, chunk] of this.early) this.emit('output', stream, chunk);
    this.early = [];
  }

  onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    // The output connections were made before the job started, so they come; if they somehow do not,
    // the job must not stay "running" for good.
    if (this.sockets.length < 2) {
      this.attachTimer = setTimeout(() => {
        this.openStreams = 0;
        this.maybeClose();
      }, ATTACH_GRACE_MS);
    }
    this.emit('exit', code, signal);
    this.maybeClose();
  }

  fail(error: Error): void {
    clearTimeout(this.attachTimer);
    this.release();
    for (const socket of this.sockets) socket.destroy();
    this.emit('error', error);
  }

  private maybeClose(): void {
    if (this.closed || !this.exited || this.openStreams > 0) return;
    this.closed = true;
    clearTimeout(this.attachTimer);
    this.release();
    this.emit('close');
  }
}

/**
 * Starts local jobs through spawner.py, a small long-lived Python process, so the daemon never forks
 * itself per job. Started on first use; if it dies, the jobs it was tracking fail with a clear error
 * and the next job starts a new one.
 */
export class Spawner {
  private child: ChildProcess | undefined;
  private server: Server | undefined;
  private listening: Promise<void> | undefined;
  private nextId = 1;
  private readonly byId = new Map<number, SpawnedJob>();
  private readonly byKey = new Map<string, SpawnedJob>();
  private stdoutRest = '';
  /** Spawner processes in a row that died before they started any job. */
  private failedStarts = 0;
  private spawnedSinceStart = false;

  /** False once the spawner failed to come up twice in a row: the daemon then forks jobs itself. */
  get usable(): boolean {
    return this.failedStarts < 2;
  }

  constructor(
    private readonly options: {
      /** spawner.py */
      script: string;
      /** Python 3 to run it with. */
      python: string;
      /** Unix socket the job output connects to. */
      socketPath: string;
      log: (message: string) => void;
    },
  ) {}

  /** Starts `request`; events tell the rest. */
  spawn(request: SpawnRequest): JobProcess {
    const id = this.nextId++;
    const key = randomBytes(12).toString('hex');
    const job = new SpawnedJob(key, () => this.byKey.delete(key));
    this.byId.set(id, job);
    this.byKey.set(job.key, job);
    void this.ensureServer().then(
      () =>
        this.send({ id, argv: request.argv, env: request.env, cwd: request.cwd, nice: request.nice ?? 0, socket: this.options.socketPath, key: job.key }),
      (e: unknown) => this.forget(id, job, new Error(`Could not open the spawner socket ${this.options.socketPath}: ${String(e)}`)),
    );
    return job;
  }

  /**
   * Stops the spawner and closes the socket. Call it after the jobs ended: a job the spawner still
   * runs when its stdin closes is killed, as when the daemon dies.
   */
  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
    this.server?.close();
    this.server = undefined;
    this.listening = undefined;
    rmSync(this.options.socketPath, { force: true });
  }

  /**
   * Ends a spawner that a killed daemon of this home left behind (the home's lock makes any other one
   * stale), and resolves once it is gone. Until then it may still start the jobs it was asked to,
   * which the daemon's recovery would miss: call this first.
   */
  async endStale(): Promise<number[]> {
    const entry = `${SPAWNER_ENV}=${this.options.socketPath}`;
    const own = this.child?.pid;
    const ended = await endMarkedProcesses(new Set([entry]), { keep: new Set(own === undefined ? [] : [own]) });
    const found = ended.get(entry);
    if (found !== undefined && found.left.length > 0) this.options.log(`a stale process spawner did not end: pid ${found.left.join(', ')}`);
    return found?.killed ?? [];
  }

  private ensureServer(): Promise<void> {
    this.listening ??= new Promise<void>((resolve, reject) => {
      rmSync(this.options.socketPath, { force: true }); // ours: the daemon holds the home's lock
      const server = createServer((socket) => this.accept(socket));
      server.once('error', reject);
      server.listen(this.options.socketPath, () => {
        chmodSync(this.options.socketPath, 0o600);
        server.removeListener('error', reject);
        server.on('error', (e) => this.options.log(`spawner socket: ${e.message}`));
        // The daemon must not wait for this socket to exit.
        server.unref();
        resolve();
      });
      this.server = server;
    });
    return this.listening;
  }

  /** A log connection: "KEY N\n", then the job's output. */
  private accept(socket: Socket): void {
    let head = Buffer.alloc(0);
    socket.on('error', () => undefined);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(10);
      if (nl === -1) {
        if (head.length > HEADER_MAX) socket.destroy();
        return;
      }
      socket.removeListener('data', onData);
      const [key, stream] = head.subarray(0, nl).toString('latin1').split(' ');
      const job = this.byKey.get(key);
      if (job === undefined || (stream !== '1' && stream !== '2')) {
        socket.destroy();
        return;
      }
      job.attach(stream === '1' ? 'stdout' : 'stderr', socket, head.subarray(nl + 1));
      // Both are in: no other connection may claim this job (its exit may have come first, see onMessage).
      if (job.attached === 2) this.byKey.delete(key);
    };
    socket.on('data', onData);
  }

  private send(message: object): void {
    const child = this.ensureChild();
    child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  private ensureChild(): ChildProcess {
    if (this.child !== undefined) return this.child;
    const child = spawn(this.options.python, ['-u', this.options.script], {
      // Its own session: a Ctrl-C in the daemon's terminal must not kill it before the jobs' exit codes are in.
      detached: true,
      // Our pid tells it when we died (it is handed to another parent); the socket names our home.
      env: { ...process.env, CRONIUM_SPAWNER_DAEMON: String(process.pid), [SPAWNER_ENV]: this.options.socketPath },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => this.onStdout(text));
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.stdin?.on('error', () => undefined);
    const gone = (why: string): void => {
      if (this.child !== child) return;
      this.child = undefined;
      if (!this.spawnedSinceStart) this.failedStarts++;
      this.spawnedSinceStart = false;
      const detail = stderr.trim() === '' ? why : `${why}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
      this.options.log(
        `process spawner stopped (${detail})${this.usable ? '' : '; local jobs are now started by forking the daemon'}`,
      );
      for (const [id, job] of this.byId) this.forget(id, job, new SpawnerGone(detail));
    };
    child.once('error', (e) => gone(e.message));
    child.once('exit', (code, signal) => gone(signal === null ? `exit code ${code}` : `signal ${signal}`));
    return child;
  }

  private onStdout(text: string): void {
    const lines = (this.stdoutRest + text).split('\n');
    this.stdoutRest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let message: SpawnerMessage;
      try {
        message = JSON.parse(line) as SpawnerMessage;
      } catch {
        this.options.log(`process spawner wrote a line that is not JSON: ${line.slice(0, 200)}`);
        continue;
      }
      this.onMessage(message);
    }
  }

  private onMessage(message: SpawnerMessage): void {
    const job = message.id === null ? undefined : this.byId.get(message.id);
    if (job === undefined || message.id === null) {
      if ('error' in message) this.options.log(`process spawner: ${message.error}`);
      return;
    }
    if ('pid' in message) {
      this.spawnedSinceStart = true;
      this.failedStarts = 0;
      job.onSpawned(message.pid, message.start);
    } else if ('error' in message) {
      const error = Object.assign(new Error(message.error), { code: message.code, path: message.path ?? undefined });
      this.forget(message.id, job, error);
    } else {
      // Its output connections may still wait to be accepted: the key stays until they are in.
      this.byId.delete(message.id);
      job.onExit(message.exit, message.signal as NodeJS.Signals | null);
    }
  }

  private forget(id: number, job: SpawnedJob, error: Error): void {
    this.byId.delete(id);
    job.fail(error);
  }
}

/**
 * The spawner for a daemon, unless `CRONIUM_SPAWNER=off` or no `python3` is on the PATH (the daemon
 * then forks local jobs itself, which works the same, only with more CPU per job).
 */
export function createSpawner(socketPath: string, log: (message: string) => void, env: NodeJS.ProcessEnv = process.env): Spawner | undefined {
  if (env.CRONIUM_SPAWNER === 'off') return undefined;
  const python = findOnPath('python3', env.PATH ?? '');
  if (python === undefined) return undefined;
  return new Spawner({ script: SPAWNER_SCRIPT, python, socketPath, log });
}

/** spawner.py, next to this file in the source tree; dist/ bundles find it through the package root. */
export const SPAWNER_SCRIPT = join(__dirname, '..', 'daemon', 'executors', 'spawner.py');

function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The spawner died while it tracked a job: the job's exit status is lost. */
export class SpawnerGone extends Error {
  constructor(detail: string) {
    super(`Cronium's process spawner stopped while the job ran (${detail}); its exit status is unknown`);
    this.name = 'SpawnerGone';
  }
}
