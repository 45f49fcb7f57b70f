import type Dockerode from 'dockerode';
import { errnoCode } from '../../errors';
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
import { describeDocker } from './dockerHost';
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
  const network = engineCall(ctx, () =>
    ctx.docker.createNetwork(networkCreateOptions(input.daemonId, spec.jobId, names.network, input.options)),
  ).then((created) => {
    run.resources.networkId = created.id;
  });
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
    const { stream, waitResult, outputDone } = job.value;
    if (!run.stopRequested) stream.write(spec.script);
    // End of stdin: `cat` in the wrapper sees EOF (after a stop, the wrapper is being stopped anyway).
    stream.end();
    await run.finish(waitResult, outputDone);
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
  const outputDone = deliverOutput(ctx.docker, stream, (name, chunk) => input.hooks.onOutput(name, chunk));
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
  input.hooks.onStarted({ pid: null, pidStart: null, containerId: container.id });
  return { stream, waitResult, outputDone };
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
    if (dockerStatus(e) !== 404) throw asContainerError(ctx, e);
    if (!(await imageExists(ctx.docker, image))) throw imageMissing(image);
    await network;
    return engineCall(ctx, () => ctx.docker.createContainer(options));
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
    throw asContainerError(ctx, e);
  }
}

/** Turns a failed Engine API call into the message the user sees. */
export function asContainerError(ctx: Pick<RunContext, 'docker'>, e: unknown): ContainerError {
  if (ContainerError.is(e)) return e;
  if (dockerStatus(e) === undefined) {
    const where = describeDocker(ctx.docker);
    const why =
      errnoCode(e) === 'EACCES'
        ? `Permission denied on ${where} — add your user to the docker group or set cronium.docker.host`
        : `Docker is not reachable at ${where} — start Docker or set cronium.docker.host`;
    return new ContainerError('docker_unreachable', why, { cause: e });
  }
  return new ContainerError('setup_failed', `Docker could not start the job: ${dockerReason(e)}`, { cause: e });
}
