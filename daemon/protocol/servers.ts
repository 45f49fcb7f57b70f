import { RequestType } from 'vscode-jsonrpc';
import type { ErrorData } from './errors';

/** How the daemon logs in to a server. */
export const SERVER_AUTH_METHODS = ['key', 'password', 'agent'] as const;
/** One of {@link SERVER_AUTH_METHODS}. */
export type ServerAuthMethod = (typeof SERVER_AUTH_METHODS)[number];

/** The circuit breaker of a server's connections: `open` refuses jobs at once, `half_open` lets one try. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * A pinned host key: its type as the server names it (`ssh-ed25519`) and its SHA-256 fingerprint as
 * OpenSSH prints it (`SHA256:` and the unpadded base64 of the digest).
 */
export interface HostKeyDto {
  type: string;
  fingerprint: string;
}

/** What the daemon knows of a server's reachability. Times are ISO 8601 in UTC. */
export interface ServerHealthDto {
  /** `unknown` until a job or a test connected (or failed to). */
  state: 'online' | 'offline' | 'unknown';
  circuit: CircuitState;
  /** Connection failures in a row (the circuit opens at 5). */
  consecutiveFailures: number;
  /** When an open circuit lets the next attempt through. */
  retryAt: string | null;
  /** Pooled connections open now. */
  connections: number;
  lastCheckAt: string | null;
  /** Round trip of the last test (`servers/test`), or the connect time of the last connection. */
  latencyMs: number | null;
  lastError: string | null;
}

/**
 * An SSH server jobs can run on. Secrets (key, passphrase, password) never leave the daemon: only
 * whether they are set.
 */
export interface ServerDto {
  id: string;
  name: string;
  host: string;
  port: number;
  username: string;
  auth: ServerAuthMethod;
  /** A private key is stored (auth `key`). */
  hasKey: boolean;
  hasPassphrase: boolean;
  hasPassword: boolean;
  /** Auth `agent`: the agent socket, when not the daemon's `SSH_AUTH_SOCK`. */
  agentSocket: string | null;
  /** ProxyJump: the server (its name) that connections to this one go through, or null. */
  jump: string | null;
  /** The trusted host key; null until `servers/trust`. */
  hostKey: (HostKeyDto & { trustedAt: string }) | null;
  health: ServerHealthDto;
  createdAt: string;
  updatedAt: string;
}

/** Fields of {@link AddServerRequest} and {@link UpdateServerRequest}. */
export interface ServerFields {
  host?: string;
  /** Default 22. */
  port?: number;
  /** Default the daemon's user. */
  username?: string;
  auth?: ServerAuthMethod;
  /** A private key in OpenSSH or PEM form (auth `key`). */
  privateKey?: string;
  passphrase?: string;
  password?: string;
  agentSocket?: string;
  /** ProxyJump through this server (a name or id; it has no jump of its own); `''` goes direct again. */
  jump?: string;
}

/** Params of {@link AddServerRequest}. */
export interface AddServerParams extends ServerFields {
  name: string;
  host: string;
}

/** Adds a server (not trusted yet). Fails with `ServerExists`. */
export const AddServerRequest = new RequestType<AddServerParams, { server: ServerDto }, ErrorData>('servers/add');

/** Params of {@link UpdateServerRequest}; `server` is a name or an id. */
export interface UpdateServerParams extends ServerFields {
  server: string;
  name?: string;
}

/** Changes a server. A new host or port forgets the trusted host key. */
export const UpdateServerRequest = new RequestType<UpdateServerParams, { server: ServerDto }, ErrorData>('servers/update');

/** Every server, by name. */
export const ListServersRequest = new RequestType<Record<string, never>, { servers: ServerDto[] }, ErrorData>('servers/list');

/** One server, by name or id. Fails with `ServerNotFound`. */
export const GetServerRequest = new RequestType<{ server: string }, { server: ServerDto }, ErrorData>('servers/get');

/** Removes a server. */
export const RemoveServerRequest = new RequestType<{ server: string }, { removed: true }, ErrorData>('servers/remove');

/** Result of {@link TestServerRequest}. */
export interface TestServerResult {
  server: ServerDto;
  /** Connected, logged in and ran a command. */
  ok: boolean;
  /** Connect, log in and a round trip, in milliseconds. */
  latencyMs: number | null;
  /** The key the server showed, whether it is trusted or not. */
  hostKey: HostKeyDto | null;
  /** Why it failed, with `kind` (`host_key_unknown`, `host_key_changed`, `ssh_auth_failed`, `ssh_unreachable` …). */
  error: { kind: string; message: string } | null;
}

/** Connects to the server, logs in and runs `true`; never throws for a failure of the server. */
export const TestServerRequest = new RequestType<{ server: string }, TestServerResult, ErrorData>('servers/test');

/** Params of {@link TrustServerRequest}. */
export interface TrustServerParams {
  server: string;
  /**
   * Trust only this key (`SHA256:…`, as `ssh-keygen -lf` prints it): the daemon connects and refuses
   * with `HostKeyMismatch` when the server shows another. Without it, the key the server shows now.
   */
  fingerprint?: string;
  /**
   * Trust only a key this OpenSSH known_hosts file (an absolute path the daemon reads) holds for the
   * server's host and port (`[host]:port` off port 22; hashed names too).
   */
  knownHostsFile?: string;
}

/** Result of {@link TrustServerRequest}. */
export interface TrustServerResult {
  server: ServerDto;
  /** The key trusted before, when this one replaced it. */
  replaced: HostKeyDto | null;
}

/** Connects to the server and pins the host key it shows. */
export const TrustServerRequest = new RequestType<TrustServerParams, TrustServerResult, ErrorData>('servers/trust');
