import type Dockerode from 'dockerode';
import { coerceError } from '../../errors';
import type { LogStream } from '../../protocol/dto';
import type { ExecutionHooks, ExecutionSpec } from '../executor';
import type { ContainerOptions } from './containerOptions';
import { ContainerError, dockerReason, dockerStatus, imageMissing } from './containerErrors';
import type { ContainerRun, RunContext } from './containerRun';
import {
  jobCreateOptions,
  jobPayload,
  networkCreateOptions,
  sidecarCreateOptions,
  slotNames,
  type SlotNames,
  type SlotOwner,
} from './containerSpecs';
import { deadline, engineTimeout } from './deadline';
import { engineError } from './dockerHost';
import { removeJobResources, type JobResources } from './jobCleanup';
import { deliverOutput, type Delivery } from './outputStream';
import { SidecarLink } from './sidecarLink';

/**
 * A job network with its sidecar relay listening and a job container started and waiting for its job
 * on stdin (containerSpecs.jobCreateOptions). Made for a job that is waiting (fresh), or ahead of one
 * (warm, warmPool.ts); either way the job runs the moment its payload is written.
 */
export interface Slot {
  owner: SlotOwner;
  /** The same object the caller passed to prepareSlot, filled in. */
  resources: JobResources;
  container: Dockerode.Container;
  /** The job container's attached stdio: the payload goes in, its output comes out. */
  stream: NodeJS.ReadWriteStream;
  output: Delivery;
  /** The engine's wait on the job container, made at start so no exit is missed. */
  waitResult: Promise<unknown>;
  link: SidecarLink;
  /** Until a job takes the slot, its output is dropped (the waiting wrapper prints nothing). */
  bind(onOutput: (stream: LogStream, chunk: Buffer) => void): void;
  /** False once the job container or the relay ended: a warm slot that died while it waited. */
  readonly alive: boolean;
}

export interface SlotInput {
  ctx: RunContext;
  owner: SlotOwner;
  jobImage: string;
  sidecarImage: string;
  options: ContainerOptions;
  /** Checked between steps: true gives the setup up (the job was stopped, or the pool closed). */
  stopRequested: () => boolean;
}

/** Signals that setup was given up on request; not an error the user sees. */
export class StoppedDuringSetup extends Error {}

/**
 * Creates the slot's network, sidecar and job container side by side (the engine resolves a container's
 * network at start, not create), starts both containers once the network exists and resolves once the
 * relay listens: the runtime API answers from the script's first line. Ids go into `resources` as they
 * are made, so the caller can remove everything if this rejects.
 */
export async function prepareSlot(input: SlotInput, resources: JobResources): Promise<Slot> {
  const { ctx, owner } = input;
  const names = slotNames(owner);
  const network = createNetwork(ctx, networkCreateOptions(owner, names, input.options)).then((created) => {
    resources.networkId = created.id;
  });
  network.catch(() => undefined);
  // All settle before we go on, so the caller's cleanup knows every resource that was made.
  const [net, sidecar, job] = await Promise.allSettled([
    network,
    startSidecar(input, names, network, resources),
    startJobContainer(input, names, network, resources),
  ]);
  if (net.status === 'rejected') throw net.reason;
  if (sidecar.status === 'rejected') {
    if (job.status === 'fulfilled') job.value.output.cancel();
    throw sidecar.reason;
  }
  // The caller removes the containers, which ends their attached streams.
  if (job.status === 'rejected') throw job.reason;
  const link = sidecar.value;
  const { container, stream, output, waitResult } = job.value;
  let sink: ((stream: LogStream, chunk: Buffer) => void) | undefined;
  let alive = true;
  void waitResult.then(
    () => (alive = false),
    () => (alive = false),
  );
  void link.ended.then(() => (alive = false));
  void output.done.then(() => (alive = false));
  job.value.setSink((name, chunk) => sink?.(name, chunk));
  return {
    owner,
    resources,
    container,
    stream,
    output,
    waitResult,
    link,
    bind: (onOutput) => (sink = onOutput),
    get alive() {
      return alive;
    },
  };
}

/**
 * Runs `spec` in a prepared slot: writes its payload, then follows it to the end and cleans up (the
 * run's `done`). The slot's resources become the run's.
 */
export async function runInSlot(run: ContainerRun, slot: Slot, spec: ExecutionSpec, hooks: ExecutionHooks): Promise<void> {
  Object.assign(run.resources, slot.resources);
  slot.bind((name, chunk) => hooks.onOutput(name, chunk));
  slot.link.jobId = spec.executionId;
  run.attachContainer(slot.container);
  // After a stop, the wrapper gets no job: it sees the end of its stdin and exits.
  if (!run.stopRequested) slot.stream.write(jobPayload(spec));
  // An interactive job keeps stdin open for what the user types; any other sees its end.
  if (spec.interactive !== undefined && !run.stopRequested) run.attachStdin(slot.stream);
  else slot.stream.end();
  hooks.onStarted({ containerId: slot.container.id });
  await run.finish(slot.waitResult, slot.output);
}

/** After a stop, how long setup that is under way may take to give up by itself before the run stops waiting. */
const STOPPED_SETUP_GRACE_MS = 3000;

/**
 * Waits for the slot `prepare` makes (into `resources`) within the setup bound, and until `giveUp`, if
 * given, resolves. Once it gives up, `prepare` is told through its argument, and whatever the engine
 * still makes for it is removed when the preparation settles; the caller removes what exists now.
 */
export async function boundedSetup(
  ctx: RunContext,
  what: string,
  prepare: (gaveUp: () => boolean) => Promise<Slot>,
  resources: JobResources,
  giveUp?: Promise<Error>,
): Promise<Slot> {
  let gaveUp = false;
  let settled = false;
  const preparing = prepare(() => gaveUp);
  void preparing.then(
    () => (settled = true),
    () => (settled = true),
  );
  const limit = deadline(ctx.setupTimeoutMs);
  const fail = (error: Error): never => {
    throw error;
  };
  try {
    return await Promise.race([
      preparing,
      limit.expired.then(() => fail(engineTimeout(ctx.docker, what, ctx.setupTimeoutMs))),
      ...(giveUp === undefined ? [] : [giveUp.then(fail)]),
    ]);
  } catch (e) {
    if (!settled) {
      gaveUp = true;
      ctx.logger.debug(`gave up waiting to ${what} (${coerceError(e).message}); what it still makes will be removed`);
      // Tracked: a daemon that stops right after (a cancelled job, then a stop) waits for this removal,
      // or it leaves the slot behind; for a warm slot a job was waiting for, nothing else knows of it.
      ctx.background.add(
        preparing.then(
          (slot) => {
            slot.output.cancel();
            return removeJobResources(ctx.docker, slot.resources, ctx.logger, ctx.cleanupTimeoutMs);
          },
          () => removeJobResources(ctx.docker, resources, ctx.logger, ctx.cleanupTimeoutMs),
        ),
      );
    }
    throw e;
  } finally {
    limit.cancel();
  }
}

/**
 * Runs `spec` in the slot `acquire` makes or finds, once it is ready. Resolves when the run's `done` is
 * settled; never rejects. A job whose setup failed never "started": it failed to start (spawnError). Setup
 * is bounded (boundedSetup), and a stop ends the run even while the engine keeps a setup call waiting.
 */
export async function startInSlot(
  run: ContainerRun,
  ctx: RunContext,
  acquire: (gaveUp: () => boolean) => Promise<Slot>,
  spec: ExecutionSpec,
  hooks: ExecutionHooks,
): Promise<void> {
  // After a stop, setup normally gives up by itself at its next step; one the engine holds is left behind.
  const stopped = run.stopped.then(() => deadline(STOPPED_SETUP_GRACE_MS).expired).then(() => new StoppedDuringSetup());
  let slot: Slot;
  try {
    const prepare = (gaveUp: () => boolean) => acquire(() => gaveUp() || run.stopRequested);
    slot = await boundedSetup(ctx, "set up the job's containers", prepare, run.resources, stopped);
  } catch (e) {
    if (e instanceof StoppedDuringSetup || run.stopRequested) await run.abandon();
    else await run.fail(e);
    return;
  }
  await runInSlot(run, slot, spec, hooks);
}

async function startSidecar(input: SlotInput, names: SlotNames, network: Promise<void>, resources: JobResources): Promise<SidecarLink> {
  const { ctx } = input;
  const container = await createContainer(ctx, sidecarCreateOptions(input.owner, names, input.sidecarImage), input.sidecarImage, network);
  resources.sidecarId = container.id;
  const stream = await engineCall(ctx, () =>
    container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
  );
  const link = new SidecarLink(ctx.docker, stream, ctx.runtimeApi, ctx.logger, input.owner.jobId ?? `warm slot ${input.owner.slotId}`, true);
  await network;
  if (input.stopRequested()) {
    stream.end();
    throw new StoppedDuringSetup();
  }
  await engineCall(ctx, () => container.start());
  await link.ready;
  return link;
}

async function startJobContainer(input: SlotInput, names: SlotNames, network: Promise<void>, resources: JobResources) {
  const { ctx } = input;
  const container = await createContainer(ctx, jobCreateOptions(input.owner, names, input.jobImage, input.options), input.jobImage, network);
  resources.containerId = container.id;
  // Attached before start, so not a byte of output is missed.
  const stream = await engineCall(ctx, () =>
    container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
  );
  let sink: (name: LogStream, chunk: Buffer) => void = () => undefined;
  const output = deliverOutput(ctx.docker, stream, (name, chunk) => sink(name, chunk));
  await network;
  if (input.stopRequested()) {
    stream.end();
    throw new StoppedDuringSetup();
  }
  await engineCall(ctx, () => container.start());
  const waitResult = container.wait();
  // Observed here so a wait that fails before anyone awaits it is no unhandled rejection.
  waitResult.catch(() => undefined);
  return { container, stream, output, waitResult, setSink: (next: typeof sink) => (sink = next) };
}

async function createContainer(
  ctx: RunContext,
  options: Dockerode.ContainerCreateOptions,
  image: string,
  network: Promise<void>,
): Promise<Dockerode.Container> {
  try {
    return await ctx.docker.createContainer(options);
  } catch (e) {
    // 404 on create is a missing image, or (on engines that check networks at create) a network that is
    // still being made: ask which, rather than reading the message.
    if (dockerStatus(e) !== 404) throw engineError(ctx.docker, e);
    if (!(await imageExists(ctx.docker, image))) throw imageMissing(image);
    await network;
    return engineCall(ctx, () => ctx.docker.createContainer(options));
  }
}

async function createNetwork(ctx: RunContext, options: Dockerode.NetworkCreateOptions): Promise<Dockerode.Network> {
  try {
    return await ctx.docker.createNetwork(options);
  } catch (e) {
    // For a bridge network, 404 means the engine has no address range left for another one.
    if (dockerStatus(e) !== 404) throw engineError(ctx.docker, e);
    throw new ContainerError(
      'no_network_pool',
      `Docker has no free address range for another job network (${dockerReason(e)}) — wait for running ` +
        'container jobs, remove unused networks (docker network prune) or add default-address-pools to the Docker daemon configuration',
      { cause: e },
    );
  }
}

async function imageExists(docker: Dockerode, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (e) {
    return dockerStatus(e) !== 404;
  }
}

async function engineCall<T>(ctx: RunContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw engineError(ctx.docker, e);
  }
}
