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

export async function removeContainer(docker: Dockerode, id: string, logger: ExecutorLogger): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (e) {
    // 404: already gone. 409: removal already in progress (another cleanup path got there first).
    const status = dockerStatus(e);
    if (status !== 404 && status !== 409) logger.warn(`could not remove container ${id}: ${coerceError(e).message}`);
  }
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
