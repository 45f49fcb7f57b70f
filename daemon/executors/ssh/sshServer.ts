import { CroniumError } from '../../errors';
import { ErrorCodes, type ErrorKind } from '../../protocol/errors';
import type { HostKey } from './hostKey';

/** How to log in, with the secrets opened (they live only in memory, never in logs or errors). */
export type SshAuth =
  | { method: 'key'; privateKey: string; passphrase?: string }
  | { method: 'password'; password: string }
  | { method: 'agent'; socket: string | undefined };

/** A server as the SSH executor needs it, read fresh from the store for each connection. */
export interface SshServerConfig {
  id: string;
  name: string;
  host: string;
  port: number;
  username: string;
  auth: SshAuth;
  /** The trusted host key; undefined until the user trusts one. */
  hostKey: HostKey | undefined;
  /** ProxyJump: connections go through this server (which has no jump of its own). */
  jump?: SshServerConfig;
}

/** Settings of SSH connections (daemon settings `ssh*`). */
export interface SshSettings {
  /** Connections per server at most. */
  poolSize: number;
  connectTimeoutMs: number;
  keepaliveMs: number;
  /** A connection no job used for this long is closed. */
  idleMs: number;
  /** How long an open circuit refuses jobs before it lets one try. */
  circuitResetMs: number;
}

/** The kinds of failure of an SSH execution that never ran, or of a test. */
export type SshFailureKind = Extract<ErrorKind, 'host_key_unknown' | 'host_key_changed' | 'ssh_auth_failed' | 'ssh_unreachable' | 'circuit_open'>;

/** Why a connection to a server failed; the message names the server and what to do. */
export class SshFailure extends CroniumError {
  constructor(
    kind: SshFailureKind,
    message: string,
    details: Record<string, unknown> = {},
    /** The key the server showed, when it got that far. */
    readonly seenKey?: HostKey,
  ) {
    super(ErrorCodes.ServerUnavailable, kind, message, details);
    this.name = 'SshFailure';
  }

  /** Failures that say the server may be down (they count for the circuit breaker, and are retried). */
  get transient(): boolean {
    return this.kind === 'ssh_unreachable';
  }

  static isSsh(e: unknown): e is SshFailure {
    return e instanceof SshFailure;
  }
}

export function describeServer(server: Pick<SshServerConfig, 'name' | 'host' | 'port'>): string {
  return `${server.name} (${server.host}:${server.port})`;
}

export function unknownKey(server: SshServerConfig, seen: HostKey): SshFailure {
  return new SshFailure(
    'host_key_unknown',
    `The host key of ${describeServer(server)} is not trusted yet: it shows ${seen.type} ${seen.fingerprint}; nothing ran`,
    { server: server.name, fingerprint: seen.fingerprint, keyType: seen.type, hint: { action: 'trust_server', server: server.name, fingerprint: seen.fingerprint } },
    seen,
  );
}

export function changedKey(server: SshServerConfig, trusted: HostKey, seen: HostKey): SshFailure {
  return new SshFailure(
    'host_key_changed',
    `The host key of ${describeServer(server)} changed: trusted ${trusted.type} ${trusted.fingerprint}, ` +
      `the server now shows ${seen.type} ${seen.fingerprint}; nothing ran. If the server was reinstalled, trust the new key; ` +
      'otherwise someone may be intercepting the connection',
    {
      server: server.name,
      trusted: trusted.fingerprint,
      fingerprint: seen.fingerprint,
      keyType: seen.type,
      hint: { action: 'trust_server', server: server.name, fingerprint: seen.fingerprint },
    },
    seen,
  );
}
