import type Dockerode from 'dockerode';
import { coerceError } from '../../errors';
import { dockerStatus } from './containerErrors';
import type { ExecutorLogger } from './executorLogger';

/** Engine ids of one job's resources, filled in as they are created. */
export interface JobResources {
  networkId?: string;
  sidecarId?: string;
  containerId?: string;
}

/**
 * Removes a job's containers (forced: a running one is killed), then its network, which the engine only
 * lets go once no container is attached; `inProgress` are removals already under way (the network waits for
 * them too). Never rejects: a resource that is already gone is fine, and
 * anything else is logged, since a leftover is removed as an orphan at the next daemon start.
 */
export async function removeJobResources(
  docker: Dockerode,
  resources: JobResources,
  logger: ExecutorLogger,
  timeoutMs: number,
  inProgress: Promise<void>[] = [],
): Promise<void> {
  const work = (async () => {
    const containers = [resources.containerId, resources.sidecarId].filter((id): id is string => id !== undefined);
    await Promise.all([...containers.map((id) => removeContainer(docker, id, logger)), ...inProgress]);
    if (resources.networkId !== undefined) await removeNetwork(docker, resources.networkId, logger);
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([work.then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    logger.error(`cleanup of containers/network ${describe(resources)} took over ${timeoutMs} ms; giving up on it`);
  }
}

/** How long a removal waits for another cleanup path's removal of the same container to finish. */
const OTHER_REMOVAL_WAIT_MS = 10_000;

/** Resolves once the container is gone (forced: a running one is killed); never rejects. */
export async function removeContainer(docker: Dockerode, id: string, logger: ExecutorLogger): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (e) {
    const status = dockerStatus(e);
    // 409: another cleanup path got there first and is removing it. Returning now would have the caller
    // remove the network while the container is still attached, and both removals of it fail ("has
    // active endpoints"): the network would outlive the job. Wait for the other removal instead.
    if (status === 409) await untilRemoved(docker, id, logger);
    // 404: already gone.
    else if (status !== 404) logger.warn(`could not remove container ${id}: ${coerceError(e).message}`);
  }
}

async function untilRemoved(docker: Dockerode, id: string, logger: ExecutorLogger): Promise<void> {
  const removed = docker
    .getContainer(id)
    .wait({ condition: 'removed' })
    .then(
      () => true,
      // 404: gone before the wait began.
      (e: unknown) => dockerStatus(e) === 404,
    );
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), OTHER_REMOVAL_WAIT_MS)));
  const gone = await Promise.race([removed, gaveUp]);
  clearTimeout(timer);
  if (!gone) logger.warn(`container ${id} was still being removed after ${OTHER_REMOVAL_WAIT_MS / 1000} s`);
}

export async function removeNetwork(docker: Dockerode, id: string, logger: ExecutorLogger): Promise<void> {
  try {
    await docker.getNetwork(id).remove();
  } catch (e) {
    if (dockerStatus(e) !== 404) logger.warn(`could not remove network ${id}: ${coerceError(e).message}`);
  }
}

function describe(resources: JobResources): string {
  return [resources.containerId, resources.sidecarId, resources.networkId]
    .filter((id) => id !== undefined)
    .map((id) => id.slice(0, 12))
    .join(', ');
}
