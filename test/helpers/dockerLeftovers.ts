import { dockerGet } from './services';

/** Containers and networks a daemon home left on the Docker engine (label cronium.daemon). */
export async function leftovers(filterLabel: string): Promise<{ containers: string[]; networks: string[] }> {
  const filters = encodeURIComponent(JSON.stringify({ label: [filterLabel] }));
  const containers = JSON.parse((await dockerGet(`/containers/json?all=1&filters=${filters}`)).body) as { Id: string }[];
  const networks = JSON.parse((await dockerGet(`/networks?filters=${filters}`)).body) as { Id: string }[];
  return { containers: containers.map((c) => c.Id), networks: networks.map((n) => n.Id) };
}
