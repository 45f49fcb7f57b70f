import { constants } from 'node:os';
import type Dockerode from 'dockerode';
import { coerceError } from '../../errors';
import type { RuntimeRequestHandler } from '../../runtimeApi/types';
import type { Execution, ExecutionResult } from '../executor';
import { ContainerError, dockerStatus } from './containerErrors';
import { containerInspectSchema, parseDocker, waitResultSchema } from './dockerSchemas';
import type { BackgroundWork } from './backgroundWork';
import type { ExecutorLogger } from './executorLogger';
import { JOB_PTY, JOB_USER } from './containerSpecs';
import { type JobResources, removeContainer, removeJobResources } from './jobCleanup';
import type { Delivery } from './outputStream';
import { SidecarLink } from './sidecarLink';

/** What every run of one executor shares. */
export interface RunContext {
  docker: Dockerode;
  runtimeApi: RuntimeRequestHandler;
  logger: ExecutorLogger;
  /** Bound on removing a job's containers and network before `done` resolves anyway. */
  cleanupTimeoutMs: number;
  /**
   * Bound on the engine calls before a job runs (setup, or finding a lost job's container again): an
   * engine that accepts requests and never answers fails the job instead of leaving it running.
   */
  setupTimeoutMs: number;
  /** Removals and other engine work that outlive the call that started them; the executor's close waits for them. */
  background: BackgroundWork;
}

/** After the container exited, how long its output may take to drain before cleanup goes ahead. */
const OUTPUT_DRAIN_MS = 10_000;

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);

/**
 * One container job from setup (or re-adoption) to cleanup. `done` resolves after the job's containers
 * and network were removed, whatever path it took (success, failure, stop, setup error).
 */
export class ContainerRun implements Execution {
  readonly done: Promise<ExecutionResult>;
  /** Settles once everything of the run is removed, sidecar and network included (after `done`). */
  readonly cleaned: Promise<void>;
  private resolveCleaned: (work: Promise<void>) => void = () => undefined;
  readonly resources: JobResources = {};
  private container: Dockerode.Container | undefined;
  private stopGraceMs: number | undefined;
  private stopping: Promise<void> | undefined;
  private sidecarRemoval: Promise<void> | undefined;
  private resolveDone: (result: ExecutionResult) => void = () => undefined;
  /** Resolves at the first stop(): setup that is still waiting on the engine stops waiting. */
  readonly stopped: Promise<void>;
  private resolveStopped: () => void = () => undefined;
  /** Interactive runs: the job container's attached stdin once the job is in, and what came before. */
  private stdin: NodeJS.WritableStream | undefined;
  private readonly stdinBefore: Array<Buffer | string | null> = [];
  private stdinClosed = false;
  private ending = false;
  private sizing: Promise<void> = Promise.resolve();
  /** Milestones for the debug log line that says where a job's time went. */
  private readonly times: { created: number; running?: number; exited?: number } = { created: Date.now() };

  constructor(
    private readonly ctx: RunContext,
    readonly jobId: string,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.cleaned = new Promise((resolve) => (this.resolveCleaned = resolve));
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  /** True once stop() was called: setup checks it between steps and gives up instead of starting the job. */
  get stopRequested(): boolean {
    return this.stopGraceMs !== undefined;
  }

  stop(graceMs: number): void {
    const first = this.stopGraceMs === undefined;
    this.stopGraceMs = Math.min(graceMs, this.stopGraceMs ?? graceMs);
    this.resolveStopped();
    // A second, harder stop (grace 0 at daemon shutdown) kills at once, even while a graceful stop waits.
    if (this.container !== undefined && (first || graceMs === 0)) this.stopContainer(this.container, graceMs);
  }

  /** The job container runs (fresh start or re-adopted): stop() now acts on it. */
  attachContainer(container: Dockerode.Container): void {
    this.container = container;
    this.times.running = Date.now();
    if (this.stopGraceMs !== undefined) this.stopContainer(container, this.stopGraceMs);
  }

  /** Interactive runs: from now on what the user types goes to the job (what came earlier first). */
  attachStdin(stream: NodeJS.WritableStream): void {
    this.stdin = stream;
    for (const item of this.stdinBefore.splice(0)) {
      if (item === null) stream.end();
      else stream.write(item);
    }
  }

  /** Writes to an interactive job's stdin; false once it was closed or the job is over. */
  writeStdin(data: Buffer | string, eof = false): boolean {
    if (this.stdinClosed || this.ending) return false;
    this.stdinClosed = eof;
    const stdin = this.stdin;
    if (stdin === undefined) {
      if (data.length > 0) this.stdinBefore.push(data);
      if (eof) this.stdinBefore.push(null);
    } else {
      if (data.length > 0) stdin.write(data);
      if (eof) stdin.end();
    }
    return true;
  }

  /**
   * Sets the size of an interactive job's terminal (`stty` on its pty, run in the container as the job's
   * user; the program gets SIGWINCH). Sizes apply in order; false once the job is over.
   */
  resize(size: { columns: number; rows: number }): boolean {
    if (this.ending) return false;
    this.sizing = this.sizing.then(() => this.applySize(size));
    return true;
  }

  private async applySize(size: { columns: number; rows: number }): Promise<void> {
    const cmd = ['stty', '-F', JOB_PTY, 'cols', String(Math.trunc(size.columns)), 'rows', String(Math.trunc(size.rows))];
    // Right after the start, `script` may not have made the terminal yet: try again for a moment.
    for (let tries = 0; tries < 20 && !this.ending; tries++) {
      const container = this.container;
      if (container !== undefined) {
        try {
          const exec = await container.exec({ Cmd: cmd, User: JOB_USER, AttachStdout: true, AttachStderr: true });
          const stream = await exec.start({});
          stream.resume();
          await new Promise((resolve) => {
            stream.once('end', resolve);
            stream.once('close', resolve);
            stream.once('error', resolve);
          });
          const { ExitCode } = (await exec.inspect()) as { ExitCode: number | null };
          if (ExitCode === 0) return;
        } catch (e) {
          this.ctx.logger.debug(`resizing the terminal of ${this.jobId}: ${coerceError(e).message}`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Serves the runtime API for this job through its sidecar, whose stdio is attached with `hijack`. */
  linkSidecar(stream: NodeJS.ReadWriteStream, fresh: boolean): SidecarLink {
    return new SidecarLink(this.ctx.docker, stream, this.ctx.runtimeApi, this.ctx.logger, this.jobId, fresh);
  }

  /**
   * Waits for the running job container to exit and its output to be read, then cleans up and resolves
   * `done`. `waitResult` is the engine's wait call, made right after start so no exit is missed;
   * `afterExit` delivers what the output stream may have missed (see deliverLogTail).
   */
  async finish(waitResult: Promise<unknown>, output: Delivery, afterExit?: () => Promise<void>): Promise<void> {
    let result: ExecutionResult;
    try {
      // The output ends when the container's init (tini, which holds stdout to the end) has exited: the job
      // is over, so the sidecar goes now, while the engine is still tearing the job container down.
      void output.done.then((ended) => {
        if (ended) void this.retireSidecar();
      });
      const { StatusCode } = parseDocker(waitResultSchema, await waitResult, 'container wait');
      this.times.exited = Date.now();
      if (!(await withinMs(output.done, OUTPUT_DRAIN_MS))) {
        this.ctx.logger.warn(`output of ${this.jobId} did not end within ${OUTPUT_DRAIN_MS} ms of its exit`);
      }
      output.cancel();
      await afterExit?.().catch((e: unknown) =>
        this.ctx.logger.warn(`the end of the output of ${this.jobId} may be missing: ${coerceError(e).message}`),
      );
      result = await this.resultFor(StatusCode);
    } catch (e) {
      this.ctx.logger.error(`lost track of the container of ${this.jobId}: ${coerceError(e).message}`);
      result = { exitCode: null, signal: null };
    }
    await this.cleanUp(result);
  }

  /** Ends a run that never got as far as its script: cleans up and reports why. */
  async fail(error: unknown): Promise<void> {
    const spawnError = ContainerError.is(error) ? error : new ContainerError('setup_failed', coerceError(error).message, { cause: error });
    await this.cleanUp({ exitCode: null, signal: null, spawnError });
  }

  /** Ends a run that was stopped before its job container ran. */
  async abandon(): Promise<void> {
    await this.cleanUp({ exitCode: null, signal: 'SIGTERM' });
  }

  /**
   * Removes the job container, then settles `done`; the sidecar and the network go on being removed in
   * the background (`cleaned`), off the job's critical path. A daemon that dies before they are gone
   * removes them as orphans at its next start.
   */
  async cleanUp(result: ExecutionResult): Promise<void> {
    this.ending = true;
    await this.stopping;
    const cleanupStarted = Date.now();
    const { containerId, networkId } = this.resources;
    const sidecar = this.retireSidecar();
    await removeJobResources(this.ctx.docker, { containerId }, this.ctx.logger, this.ctx.cleanupTimeoutMs);
    const { created, running, exited } = this.times;
    this.ctx.logger.debug(
      `container job ${this.jobId}: setup ${running === undefined ? '-' : running - created} ms, ` +
        `run ${running === undefined || exited === undefined ? '-' : exited - running} ms, ` +
        `job container removed in ${Date.now() - cleanupStarted} ms`,
    );
    const rest = removeJobResources(this.ctx.docker, { networkId }, this.ctx.logger, this.ctx.cleanupTimeoutMs, [sidecar]);
    this.ctx.background.add(rest);
    this.resolveCleaned(rest);
    this.resolveDone(result);
  }

  /** Removes the sidecar once, whichever asks first: the end of the job's output, or cleanup. */
  private retireSidecar(): Promise<void> {
    if (this.sidecarRemoval === undefined) {
      const id = this.resources.sidecarId;
      this.sidecarRemoval = id === undefined ? Promise.resolve() : removeContainer(this.ctx.docker, id, this.ctx.logger);
    }
    return this.sidecarRemoval;
  }

  /** Exit status to result: 128+n is reported as signal n only when we know a signal ended it. */
  async resultFor(status: number): Promise<ExecutionResult> {
    if (status <= 128 || this.container === undefined) return { exitCode: status, signal: null };
    let oomKilled = false;
    try {
      const inspect = parseDocker(containerInspectSchema, await this.container.inspect(), 'container inspect');
      oomKilled = inspect.State.OOMKilled;
    } catch (e) {
      this.ctx.logger.debug(`inspect of ${this.jobId} after exit failed: ${coerceError(e).message}`);
    }
    if (oomKilled) {
      this.ctx.logger.warn(`container of ${this.jobId} was killed for exceeding its memory limit`);
      return { exitCode: status, signal: 'SIGKILL' };
    }
    const signal = this.stopRequested ? (SIGNAL_NAMES.get(status - 128) ?? null) : null;
    return { exitCode: status, signal };
  }

  private stopContainer(container: Dockerode.Container, graceMs: number): void {
    const request = graceMs > 0 ? container.stop({ t: Math.ceil(graceMs / 1000) }) : container.kill();
    const previous = this.stopping ?? Promise.resolve();
    this.stopping = Promise.all([
      previous,
      request.then(
        () => undefined,
        (e: unknown) => {
          // 304: already stopped; 404: already removed; 409: not running. All mean "it is not running".
          const status = dockerStatus(e);
          if (status !== 304 && status !== 404 && status !== 409) {
            this.ctx.logger.warn(`could not stop the container of ${this.jobId}: ${coerceError(e).message}`);
          }
        },
      ),
    ]).then(() => undefined);
  }
}

/** True when `work` settled within `ms`. */
function withinMs(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]).finally(() => clearTimeout(timer));
}
