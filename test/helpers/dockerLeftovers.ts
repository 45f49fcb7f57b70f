import { createHash } from 'node:crypto';
import { dockerGet } from './services';

/** The `cronium.daemon` label value of the daemon of `home` (as daemon.ts derives it). */
export function daemonIdOf(home: string): string {
  return createHash('sha256').update(home).digest('hex').slice(0, 16);
}

/** Containers and networks a daemon home left on the Docker engine (label cronium.daemon). */
export async function leftovers(filterLabel: string): Promise<{ containers: string[]; networks: string[] }> {
  const filters = encodeURIComponent(JSON.stringify({ label: [filterLabel] }));
  const containers = JSON.parse((await dockerGet(`/containers/json?all=1&filters=${filters}`)).body) as { Id: string }[];
  const networks = JSON.parse((await dockerGet(`/networks?filters=${filters}`)).body) as { Id: string }[];
  return { containers: containers.map((c) => c.Id), networks: networks.map((n) => n.Id) };
}

interface Labelled {
  Labels: Record<string, string> | null;
}

/**
 * What the daemon with `daemonId` has on the engine beyond its warm slots, as names. A warm slot (a
 * network, a sidecar and a running job container sharing a `cronium.slot` label, none labelled with a
 * job) waits for the next job by design; anything else after the jobs ended was left behind. Polls for
 * up to `timeoutMs`, since a job's sidecar and network are removed in the background after it ends.
 */
export async function strayResources(daemonId: string, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stray = await strayNow(daemonId);
    if (stray.length === 0 || Date.now() > deadline) return stray;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function strayNow(daemonId: string): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`cronium.daemon=${daemonId}`] }));
  const containers = JSON.parse((await dockerGet(`/containers/json?all=1&filters=${filters}`)).body) as (Labelled & { Names: string[]; State: string })[];
  const networks = JSON.parse((await dockerGet(`/networks?filters=${filters}`)).body) as (Labelled & { Name: string })[];
  const label = (r: Labelled, key: string) => r.Labels?.[key];
  const warmSlots = new Set(
    containers
      .filter((c) => label(c, 'cronium.role') === 'job' && c.State === 'running' && label(c, 'cronium.job') === undefined)
      .map((c) => label(c, 'cronium.slot')),
  );
  const waiting = (r: Labelled) => label(r, 'cronium.job') === undefined && warmSlots.has(label(r, 'cronium.slot'));
  return [
    ...containers.filter((c) => !waiting(c)).map((c) => `container ${c.Names.join(',')} (${c.State})`),
    ...networks.filter((n) => !waiting(n)).map((n) => `network ${n.Name}`),
  ];
}

/** Ids of the job containers of the daemon's warm slots, waiting for a job (see strayResources). */
export async function warmJobContainers(daemonId: string): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`cronium.daemon=${daemonId}`, 'cronium.role=job'] }));
  const containers = JSON.parse((await dockerGet(`/containers/json?all=1&filters=${filters}`)).body) as (Labelled & { Id: string; State: string })[];
  return containers.filter((c) => c.State === 'running' && c.Labels?.['cronium.job'] === undefined).map((c) => c.Id);
}
