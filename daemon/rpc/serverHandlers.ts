import {
  AddServerRequest,
  GetServerRequest,
  ListServersRequest,
  RemoveServerRequest,
  TestServerRequest,
  TrustServerRequest,
  UpdateServerRequest,
} from '../protocol/servers';
import type { Servers } from '../servers/servers';
import type { ClientSession } from './clientSession';
import { emptySchema } from './schemas';
import { addServerSchema, serverRefSchema, trustServerSchema, updateServerSchema } from './serverSchemas';

/** The `servers/*` methods. A server is named by name or id. */
export function registerServerHandlers(session: ClientSession, servers: Servers): void {
  session.handle(AddServerRequest, addServerSchema, (params) => ({ server: servers.add(params) }));
  session.handle(UpdateServerRequest, updateServerSchema, (params) => ({ server: servers.update(params) }));
  session.handle(ListServersRequest, emptySchema, () => ({ servers: servers.list() }));
  session.handle(GetServerRequest, serverRefSchema, ({ server }) => ({ server: servers.get(server) }));
  session.handle(RemoveServerRequest, serverRefSchema, ({ server }) => {
    servers.remove(server);
    return { removed: true as const };
  });
  session.handle(TestServerRequest, serverRefSchema, ({ server }) => servers.test(server));
  session.handle(TrustServerRequest, trustServerSchema, ({ server, fingerprint, knownHostsFile }) => servers.trust(server, fingerprint, knownHostsFile));
}
