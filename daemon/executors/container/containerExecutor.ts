import { rmSync, writeFileSync } from 'node:fs';
import type Dockerode from 'dockerode';
import type { Runtime } from '../../protocol/dto';
import type { RuntimeRequestHandler } from '../../runtimeApi/types';
import type {
  Execution,
  ExecutionHooks,
  ExecutionSpec,
  Executor,
  LostExecution,
  RecoveredExecution,
} from '../executor';
import { dockerReason, dockerStatus } from './containerErrors';
import { BackgroundWork } from './backgroundWork';
import { recoverContainers, removeAllOf } from './containerRecovery';
import { ContainerRun, type RunContext } from './containerRun';
import { containerOptionsSpec } from './containerOptions';
import { engineTimeout, withinDeadline } from './deadline';
import { describeDocker, dockerFromEnv, engineError, releaseDocker } from './dockerHost';
import { type ExecutorLogger, silentLogger } from './executorLogger';
import { newSlotId } from './containerSpecs';
import { prepareSlot, startInSlot, type Slot } from './slot';
import { WarmPool, warmable } from './warmPool';

/** Image names by runtime, plus the sidecar's. */
export type ImageFor = (kind: Runtime | 'sidecar') => string;

/** `CRONIUM_IMAGE_<KIND>` if set, else `cronium/<kind>:latest` (runtime-images/README.md). */
export function defaultImages(env: NodeJS.ProcessEnv = process.env): ImageFor {
  return (kind) => env[`CRONIUM_IMAGE_${kind.toUpperCase()}`] || `cronium/${kind}:latest`;
}

export interface ContainerExecutorOptions {
  /** A client for the engine; default {@link dockerFromEnv}(`dockerHost`). */
  docker?: Dockerode;
  /** `cronium.docker.host`: socket path, tcp:// or ssh://; used when `docker` is not given. */
  dockerHost?: string;
  images: ImageFor;
  runtimeApi: RuntimeRequestHandler;
  /** Label value that marks this daemon home's containers and networks (`cronium.daemon`). */
  daemonId: string;
  logger?: ExecutorLogger;
  /** Bound on removing a job's resources before `done` resolves anyway (default 20 s). */
  cleanupTimeoutMs?: number;
  /**
   * Bound on setting a job up (network, relay, container) and on finding lost jobs again after a
   * restart; default $CRONIUM_DOCKER_SETUP_TIMEOUT_MS, else 60 s.
   */
  setupTimeoutMs?: number;
  /** How long an `available()` answer is reused (default 5 s). */
  availabilityTtlMs?: number;
  /**
   * Whether to keep a slot (network, relay, container) ready per runtime, so that jobs with default
   * limits start at once (setting `warmContainers`; default false here, the daemon passes the setting).
   */
  warmSlots?: () => boolean;
  /** How long an unused warm slot is kept (default 10 min). */
  warmIdleMs?: number;
  /**
   * A file that exists while warm slots (or anything else of this daemon home) may exist on the engine: a
   * daemon killed with slots waiting, or one that could not check at its stop that nothing was left, finds
   * it at its next start and removes them, even if it never runs a container job again.
   */
  warmMarker?: string;
}

type Availability = { ok: true } | { ok: false; reason: string };

const PING_TIMEOUT_MS = 3000;
/**
 * Bound on the check at shutdown that nothing is left (a list, and removals only if a leftover is found):
 * an engine that takes longer is not answering, and the next start removes what is left.
 */
const FINAL_CHECK_TIMEOUT_MS = 5000;
const DEFAULT_SETUP_TIMEOUT_MS = 60_000;

function setupTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.CRONIUM_DOCKER_SETUP_TIMEOUT_MS);
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_SETUP_TIMEOUT_MS;
}

/**
 * Runs each job in a locked-down container on a network of its own, with a sidecar that relays the
 * runtime API over its attached stdio (DESIGN §3, §4). Knows nothing of queues, stores or clients.
 */
export class ContainerExecutor implements Executor {
  readonly kind = 'container';
  readonly options = containerOptionsSpec;
  private readonly ctx: RunContext;
  private readonly images: ImageFor;
  private readonly daemonId: string;
  private readonly availabilityTtlMs: number;
  private availability: { at: number; answer: Promise<Availability> } | undefined;
  private readonly pool: WarmPool;
  private readonly warmSlots: () => boolean;
  private readonly warmMarker: string | undefined;
  private markerWritten = false;
  /** Start-up recovery still waits on the engine: a stop then leaves the rest to the next start. */
  private recoveryPending = false;
  /** Start-up recovery (removing what an earlier daemon left): nothing new is made before it is over. */
  private recovering: Promise<unknown> = Promise.resolve();
  /** True once this executor made or took over something on the engine: close then checks nothing is left. */
  private touchedEngine = false;

  constructor(options: ContainerExecutorOptions) {
    this.ctx = {
      docker: options.docker ?? dockerFromEnv(options.dockerHost),
      runtimeApi: options.runtimeApi,
      logger: options.logger ?? silentLogger,
      cleanupTimeoutMs: options.cleanupTimeoutMs ?? 20_000,
      setupTimeoutMs: options.setupTimeoutMs ?? setupTimeoutFromEnv(),
      background: new BackgroundWork(),
    };
    this.images = options.images;
    this.daemonId = options.daemonId;
    this.availabilityTtlMs = options.availabilityTtlMs ?? 5000;
    this.warmSlots = options.warmSlots ?? (() => false);
    this.pool = new WarmPool(this.ctx, this.daemonId, options.warmIdleMs ?? 10 * 60_000, 2, () => this.recovering.then(() => undefined));
    this.warmMarker = options.warmMarker;
  }

  available(): Promise<Availability> {
    const now = Date.now();
    if (this.availability === undefined || now - this.availability.at > this.availabilityTtlMs) {
      this.availability = { at: now, answer: this.checkAvailability() };
    }
    return this.availability.answer;
  }

  start(spec: ExecutionSpec, hooks: ExecutionHooks): Execution {
    const run = new ContainerRun(this.ctx, spec.executionId);
    this.touchedEngine = true;
    const options = containerOptionsSpec.parse(spec.options);
    const jobImage = options.image ?? this.images(spec.runtime);
    const sidecarImage = this.images('sidecar');
    // An interactive job waits for its terminal's first keys on stdin: it is not what warm slots serve.
    const warm = this.warmSlots() && warmable(options) && spec.interactive === undefined;
    const key = { runtime: spec.runtime, jobImage, sidecarImage };
    const acquire = async (gaveUp: () => boolean): Promise<Slot> => {
      await this.recovering.catch(() => undefined);
      const slot = warm ? await this.pool.take(key) : undefined;
      if (slot !== undefined) return slot;
      // The `cronium.job` label and the names carry the execution's id: that is what recovery looks for.
      const owner = { daemonId: this.daemonId, slotId: newSlotId(), jobId: spec.executionId, runtime: spec.runtime };
      return prepareSlot({ ctx: this.ctx, owner, jobImage, sidecarImage, options, stopRequested: gaveUp }, run.resources);
    };
    void startInSlot(run, this.ctx, acquire, spec, hooks);
    // Once the job is over, the next job of this runtime is given a slot ready to take.
    if (warm) {
      void run.done.then(() => {
        if (!this.warmSlots()) return;
        if (this.warmMarker !== undefined && !this.markerWritten) {
          writeFileSync(this.warmMarker, `${process.pid}\n`);
          this.markerWritten = true;
        }
        this.pool.fill(key);
      });
    }
    const execution: Execution = { done: run.done, stop: (graceMs) => run.stop(graceMs) };
    if (spec.interactive !== undefined) {
      execution.writeStdin = (data, eof) => run.writeStdin(data, eof);
      execution.resize = (size) => run.resize(size);
    }
    return execution;
  }

  /** Settles once the work a job leaves behind is over: its sidecar and network removed, warm slots made. */
  async settled(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([this.ctx.background.settle(), this.pool.settled()]);
  }

  /** Warm containers turned off: the slots waiting now are removed at once, not when they expire. */
  settingsChanged(): void {
    if (!this.warmSlots()) this.ctx.background.add(this.pool.drain());
  }

  /**
   * Removes the warm slots, waits for the removals still under way (bounded by the cleanup bound), then
   * checks that nothing of this daemon home is left on the engine, removing what is. Jobs still running
   * are the queue's to stop first. When it cannot be sure, the warm marker stays, so the next daemon
   * start removes what is left.
   */
  async close(): Promise<void> {
    await this.pool.close();
    const settled = await this.ctx.background.settle(this.ctx.cleanupTimeoutMs);
    if (!settled) this.ctx.logger.warn(`${this.ctx.background.size} container removal(s) still under way at shutdown; the next start finishes them`);
    // A stop while recovery still waits on the engine does not wait for it (it may be held for a minute):
    // the next start finds what is left, as the warm marker below tells it to.
    const clean =
      settled && !this.recoveryPending && (!this.touchedEngine || (await removeAllOf(this.ctx, this.daemonId, FINAL_CHECK_TIMEOUT_MS)));
    releaseDocker(this.ctx.docker);
    if (this.warmMarker !== undefined) {
      if (clean) rmSync(this.warmMarker, { force: true });
      else writeFileSync(this.warmMarker, `${process.pid}\n`);
    }
    this.markerWritten = false;
  }

  recover(lost: LostExecution[], hooksFor: (executionId: string) => ExecutionHooks): Promise<RecoveredExecution[]> {
    this.touchedEngine = true;
    const work = recoverContainers(this.ctx, this.daemonId, lost, hooksFor);
    this.recovering = work.catch(() => undefined);
    this.recoveryPending = true;
    void this.recovering.then(() => (this.recoveryPending = false));
    return work;
  }

  private async checkAvailability(): Promise<Availability> {
    const { docker } = this.ctx;
    try {
      await withinDeadline(docker.ping(), PING_TIMEOUT_MS, () => engineTimeout(docker, 'answer', PING_TIMEOUT_MS));
    } catch (e) {
      if (dockerStatus(e) === undefined) return { ok: false, reason: engineError(docker, e).message };
      return { ok: false, reason: `Docker at ${describeDocker(docker)} is not ready (${dockerReason(e)})` };
    }
    const kinds: Array<Runtime | 'sidecar'> = ['bash', 'python', 'node', 'sidecar'];
    const missing = await Promise.all(kinds.map((kind) => this.imageMissing(this.images(kind))));
    const first = missing.find((name) => name !== undefined);
    return first === undefined ? { ok: true } : { ok: false, reason: `image ${first} is missing — run runtime-images/build` };
  }

  private async imageMissing(image: string): Promise<string | undefined> {
    try {
      await this.ctx.docker.getImage(image).inspect();
      return undefined;
    } catch (e) {
      return dockerStatus(e) === 404 ? image : undefined;
    }
  }
}
