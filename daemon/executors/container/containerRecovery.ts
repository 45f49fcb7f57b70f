import type Dockerode from 'dockerode';
import * as z from 'zod/mini';
import { coerceError } from '../../errors';
import type { ExecutionHooks, LostExecution, RecoveredExecution } from '../executor';
import { ContainerError } from './containerErrors';
import { ContainerRun, type RunContext } from './containerRun';
import { LABEL } from './containerSpecs';
import {
  type ContainerSummary,
  containerSummarySchema,
  type NetworkSummary,
  networkSummarySchema,
  parseDocker,
} from './dockerSchemas';
import { engineTimeout, withinDeadline } from './deadline';
import { engineError } from './dockerHost';
import { removeContainer, removeNetwork } from './jobCleanup';
import { deliverLogTail, deliverOutput } from './outputStream';

/** States in which the engine still runs (or will run again) the container's process. */
const ALIVE_STATES = new Set(['running', 'paused', 'restarting']);

/**
 * After a daemon restart: re-adopts the lost jobs whose container still runs, reports those that exited
 * meanwhile (with the output the old daemon had not stored), and removes everything else this daemon
 * home left behind. Output resumes after `storedBytes` of each stream, read back from the engine's log.
 */
export async function recoverContainers(
  ctx: RunContext,
  daemonId: string,
  lost: LostExecution[],
  hooksFor: (executionId: string) => ExecutionHooks,
): Promise<RecoveredExecution[]> {
  const { containers, networks } = await withinDeadline(listDaemonResources(ctx.docker, daemonId), ctx.setupTimeoutMs, () =>
    engineTimeout(ctx.docker, 'list the containers of lost jobs', ctx.setupTimeoutMs),
  );
  const claimed = new Set<string>();
  const results = await Promise.all(
    lost.map((execution) => {
      const containerId = containerIdOf(execution.handle);
      // A job's resources carry its id, or (a warm slot, made before the job) only their slot's id, which
      // the job container the job record names leads to.
      const slots = new Set(
        containers
          .filter((c) => c.Labels[LABEL.job] === execution.executionId || matches(c, containerId))
          .map((c) => c.Labels[LABEL.slot])
          .filter((slot) => slot !== undefined),
      );
      const mine = (labels: Record<string, string>) =>
        labels[LABEL.job] === execution.executionId || (labels[LABEL.slot] !== undefined && slots.has(labels[LABEL.slot]));
      const own = containers.filter((c) => mine(c.Labels) || matches(c, containerId));
      const ownNetworks = networks.filter((n) => mine(n.Labels));
      for (const resource of [...own, ...ownNetworks]) claimed.add(resource.Id);
      return recoverOne(ctx, execution, own, ownNetworks, hooksFor(execution.executionId));
    }),
  );
  const orphans = { containers: containers.filter((c) => !claimed.has(c.Id)), networks: networks.filter((n) => !claimed.has(n.Id)) };
  if (orphans.containers.length + orphans.networks.length > 0) {
    ctx.logger.info(`removing ${orphans.containers.length} container(s) and ${orphans.networks.length} network(s) left by an earlier daemon`);
  }
  await removeOrphans(ctx, orphans.containers, orphans.networks);
  return results;
}

/** The container id this executor gave `onStarted`, if the execution got that far. */
function containerIdOf(handle: unknown): string | null {
  const parsed = z.object({ containerId: z.string() }).safeParse(handle);
  return parsed.success ? parsed.data.containerId : null;
}

function matches(container: ContainerSummary, containerId: string | null): boolean {
  return containerId !== null && containerId !== '' && container.Id.startsWith(containerId);
}

async function recoverOne(
  ctx: RunContext,
  lost: LostExecution,
  containers: ContainerSummary[],
  networks: NetworkSummary[],
  hooks: ExecutionHooks,
): Promise<RecoveredExecution> {
  const job = containers.find((c) => matches(c, containerIdOf(lost.handle))) ?? containers.find((c) => c.Labels[LABEL.role] === 'job');
  const sidecar = containers.find((c) => c.Labels[LABEL.role] === 'sidecar');
  const run = new ContainerRun(ctx, lost.executionId);
  run.resources.containerId = job?.Id;
  run.resources.sidecarId = sidecar?.Id;
  // A job has one network; anything more with its label is a leftover and goes the same way.
  run.resources.networkId = networks[0]?.Id;
  await Promise.all(networks.slice(1).map((n) => removeNetwork(ctx.docker, n.Id, ctx.logger)));

  if (job === undefined) {
    await run.cleanUp({ exitCode: null, signal: null });
    return { executionId: lost.executionId, state: 'gone' };
  }
  if (job.State === 'created') {
    // The old daemon died between create and start: the script never ran.
    const spawnError = new ContainerError('not_started', 'The daemon stopped before the container started; run the job again');
    await run.cleanUp({ exitCode: null, signal: null, spawnError });
    return { executionId: lost.executionId, state: 'exited', result: await run.done };
  }
  try {
    const container = ctx.docker.getContainer(job.Id);
    const logs = await withinDeadline(container.logs({ follow: true, stdout: true, stderr: true, since: 0 }), ctx.setupTimeoutMs, () =>
      engineTimeout(ctx.docker, "stream a lost job's output", ctx.setupTimeoutMs),
    );
    const onOutput = hooks.onOutput.bind(hooks);
    const output = deliverOutput(ctx.docker, logs, onOutput, lost.storedBytes);
    const waitResult = container.wait();
    waitResult.catch(() => undefined);
    run.attachContainer(container);
    if (ALIVE_STATES.has(job.State) && sidecar?.State === 'running') await relinkSidecar(ctx, run, sidecar.Id);
    void run.finish(waitResult, output, () => deliverLogTail(ctx.docker, container, output.read, onOutput));
  } catch (e) {
    ctx.logger.error(`could not re-adopt the container of ${lost.executionId}: ${coerceError(e).message}`);
    await run.cleanUp({ exitCode: null, signal: null });
    return { executionId: lost.executionId, state: 'gone' };
  }
  if (ALIVE_STATES.has(job.State)) {
    ctx.logger.info(`re-adopted the running container of ${lost.executionId}`);
    return { executionId: lost.executionId, state: 'adopted', execution: { done: run.done, stop: (graceMs) => run.stop(graceMs) } };
  }
  return { executionId: lost.executionId, state: 'exited', result: await run.done };
}

/** Attaches to the running relay again and has it repeat the requests the old daemon never answered. */
async function relinkSidecar(ctx: RunContext, run: ContainerRun, sidecarId: string): Promise<void> {
  try {
    const attaching = ctx.docker.getContainer(sidecarId).attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const stream = await withinDeadline(attaching, ctx.setupTimeoutMs, () => engineTimeout(ctx.docker, 'attach to a sidecar', ctx.setupTimeoutMs));
    run.linkSidecar(stream, false).resync();
  } catch (e) {
    ctx.logger.warn(`runtime API of ${run.jobId} stays unreachable: its sidecar could not be re-attached (${coerceError(e).message})`);
  }
}

async function removeOrphans(ctx: RunContext, containers: ContainerSummary[], networks: NetworkSummary[]): Promise<void> {
  await Promise.all(containers.map((c) => removeContainer(ctx.docker, c.Id, ctx.logger)));
  await Promise.all(networks.map((n) => removeNetwork(ctx.docker, n.Id, ctx.logger)));
}

/**
 * Removes every container and network labelled as this daemon home's, within `timeoutMs`. True once
 * none is left. For a daemon that stops: its jobs are over and its pool is closed, so anything still there
 * was left by a removal that failed or came too late.
 */
export async function removeAllOf(ctx: RunContext, daemonId: string, timeoutMs: number): Promise<boolean> {
  const sweep = async () => {
    const left = await listDaemonResources(ctx.docker, daemonId);
    if (left.containers.length + left.networks.length === 0) return true;
    ctx.logger.warn(`removing ${left.containers.length} container(s) and ${left.networks.length} network(s) left behind at shutdown`);
    await removeOrphans(ctx, left.containers, left.networks);
    const after = await listDaemonResources(ctx.docker, daemonId);
    return after.containers.length + after.networks.length === 0;
  };
  try {
    return await withinDeadline(sweep(), timeoutMs, () => engineTimeout(ctx.docker, 'list and remove what the jobs left', timeoutMs));
  } catch (e) {
    ctx.logger.warn(`could not check that no container or network is left: ${coerceError(e).message}`);
    return false;
  }
}

/** Every container and network labelled as belonging to this daemon home. */
export async function listDaemonResources(
  docker: Dockerode,
  daemonId: string,
): Promise<{ containers: ContainerSummary[]; networks: NetworkSummary[] }> {
  const filters = { label: [`${LABEL.daemon}=${daemonId}`] };
  const [containers, networks] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
  ]).catch((e: unknown) => {
    throw engineError(docker, e);
  });
  return {
    containers: parseDocker(z.array(containerSummarySchema), containers, 'container list'),
    networks: parseDocker(z.array(networkSummarySchema), networks, 'network list'),
  };
}
