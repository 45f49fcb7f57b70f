import type Dockerode from 'dockerode';
import type { ContainerOptions, ExecutionHooks, ExecutionSpec } from '../executor';
import { ContainerError, dockerReason, dockerStatus, imageMissing } from './containerErrors';
import {
  jobCreateOptions,
  networkCreateOptions,
  resourceNames,
  sidecarCreateOptions,
  type JobResourceNames,
} from './containerSpecs';
import type { ContainerRun, RunContext } from './containerRun';
import { engineError } from './dockerHost';
import { deliverOutput } from './outputStream';

/** What a fresh start needs beyond the run context. */
export interface FreshStartInput {
  ctx: RunContext;
  daemonId: string;
  spec: ExecutionSpec;
  hooks: ExecutionHooks;
  jobImage: string;
  sidecarImage: string;
  options: ContainerOptions;
}

/** Signals that stop() came during setup; not an error the user sees. */
class StoppedDuringSetup extends Error {}

/**
 * Creates the job's network, sidecar and job container side by side (the engine resolves a container's
 * network at start, not create), starts both containers once the network exists, and puts the script in
 * (so the job really starts) once the relay listens: the runtime API answers from the script's first line.
 * Resolves when the run's `done` is settled; never rejects.
 */
export async function startFresh(run: ContainerRun, input: FreshStartInput): Promise<void> {
  const { ctx, spec } = input;
  const names = resourceNames(spec.jobId);
  const network = createNetwork(ctx, networkCreateOptions(input.daemonId, spec.jobId, names.network, input.options)).then(
    (created) => {
      run.resources.networkId = created.id;
    },
  );
  network.catch(() => undefined);
  try {
    // All settle before we go on, so cleanup knows every resource that was made.
    const [net, sidecar, job] = await Promise.allSettled([
      network,
      startSidecar(run, input, names, network),
      startJobContainer(run, input, names, network),
    ]);
    if (net.status === 'rejected') throw net.reason;
    if (sidecar.status === 'rejected') throw sidecar.reason;
    if (job.status === 'rejected') throw job.reason;
    const { stream, waitResult, output, containerId } = job.value;
    if (!run.stopRequested) stream.write(spec.script);
    // End of stdin: `cat` in the wrapper sees EOF (after a stop, the wrapper is being stopped anyway).
    stream.end();
    // Only now: a job whose setup failed never "started", it failed to start (spawnError).
    input.hooks.onStarted({ pid: null, pidStart: null, containerId });
    await run.finish(waitResult, output);
  } catch (e) {
    if (e instanceof StoppedDuringSetup) await run.abandon();
    else await run.fail(e);
  }
}

async function startSidecar(
  run: ContainerRun,
  input: FreshStartInput,
  names: JobResourceNames,
  network: Promise<void>,
): Promise<void> {
  const { ctx } = input;
  const options = sidecarCreateOptions(input.daemonId, input.spec.jobId, names, input.sidecarImage);
  const container = await createContainer(ctx, options, input.sidecarImage, network);
  run.resources.sidecarId = container.id;
  const stream = await engineCall(ctx, () =>
    container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
  );
  const link = run.linkSidecar(stream, true);
  await network;
  if (run.stopRequested) throw new StoppedDuringSetup();
  await engineCall(ctx, () => container.start());
  await link.ready;
}

async function startJobContainer(run: ContainerRun, input: FreshStartInput, names: JobResourceNames, network: Promise<void>) {
  const { ctx, spec } = input;
  const options = jobCreateOptions(input.daemonId, spec, names, input.jobImage, input.options);
  const container = await createContainer(ctx, options, input.jobImage, network);
  run.resources.containerId = container.id;
  // Attached before start, so not a byte of output is missed.
  const stream = await engineCall(ctx, () =>
    container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
  );
  const output = deliverOutput(ctx.docker, stream, (name, chunk) => input.hooks.onOutput(name, chunk));
  await network;
  if (run.stopRequested) {
    stream.end();
    throw new StoppedDuringSetup();
  }
  await engineCall(ctx, () => container.start());
  const waitResult = container.wait();
  // Observed here so a wait that fails before finish() awaits it is no unhandled rejection.
  waitResult.catch(() => undefined);
  run.attachContainer(container);
  return { stream, waitResult, output, containerId: container.id };
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
