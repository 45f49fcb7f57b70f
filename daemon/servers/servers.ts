import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CroniumError } from '../errors';
import type { HostKey } from '../executors/ssh/hostKey';
import type { SshPoolHealth, SshTestResult } from '../executors/ssh/sshExecutor';
import type { SshServerConfig } from '../executors/ssh/sshServer';
import { ErrorCodes } from '../protocol/errors';
import type {
  AddServerParams,
  ServerAuthMethod,
  ServerDto,
  ServerFields,
  TestServerResult,
  TrustServerResult,
  UpdateServerParams,
} from '../protocol/servers';
import type { Redactor } from '../logs/redactor';
import type { SecretBox } from '../secrets/secretBox';
import type { ServerRow, ServerStore, ServerWrite } from '../store/serverStore';
import { knownHostsName, knownKeysFor } from './knownHosts';

/** What the servers need of the SSH executor (loaded on first use: `load` loads it, `loaded` does not). */
export interface SshAccess {
  loaded(): { health(serverId: string): SshPoolHealth; forget(serverId: string, removed?: boolean): void } | undefined;
  load(): Promise<{ test(serverId: string): Promise<SshTestResult>; scan(serverId: string): Promise<HostKey> }>;
}

export interface ServersDeps {
  store: ServerStore;
  secrets: SecretBox;
  ssh: SshAccess;
  /** The user the daemon runs as: a server's default login. */
  defaultUser: string;
  /** A server was added, changed or removed (the extension's view). */
  changed?: (id: string) => void;
  /** Masks the servers' passwords, passphrases and keys in job logs (a script that prints one). */
  redactor?: Redactor;
}

const SERVER_ID = /^srv_[a-z0-9]{12}$/;

/**
 * The SSH servers jobs run on: stored with their secrets sealed, shown without them. A server is not
 * trusted until its host key is pinned (`trust`); a new address forgets the pin.
 */
export class Servers {
  constructor(private readonly deps: ServersDeps) {
    this.refreshRedactor();
  }

  add(params: AddServerParams): ServerDto {
    if (this.deps.store.byName(params.name) !== undefined) throw exists(params.name);
    const id = newServerId();
    this.deps.store.insert(this.write(id, params.name, params, undefined));
    this.refreshRedactor();
    this.deps.changed?.(id);
    return this.dto(this.row(id));
  }

  update(params: UpdateServerParams): ServerDto {
    const old = this.find(params.server);
    const name = params.name ?? old.name;
    const other = this.deps.store.byName(name);
    if (other !== undefined && other.id !== old.id) throw exists(name);
    this.deps.store.update(this.write(old.id, name, params, old));
    this.refreshRedactor();
    this.deps.ssh.loaded()?.forget(old.id); // new credentials or address: the next job connects anew
    this.deps.changed?.(old.id);
    return this.dto(this.row(old.id));
  }

  remove(ref: string): void {
    const row = this.find(ref);
    const through = this.deps.store.jumpingThrough(row.id);
    if (through.length > 0) throw invalid('server', `${row.name} is the jump server of ${through.join(', ')}: change those first (--jump '')`);
    this.deps.store.delete(row.id);
    this.refreshRedactor();
    this.deps.ssh.loaded()?.forget(row.id, true);
    this.deps.changed?.(row.id);
  }

  list(): ServerDto[] {
    return this.deps.store.list().map((row) => this.dto(row));
  }

  get(ref: string): ServerDto {
    return this.dto(this.find(ref));
  }

  /** The ids of servers named by name or id, in order, without repeats; throws for one that is not there. */
  resolve(refs: readonly string[]): string[] {
    return [...new Set(refs.map((ref) => this.find(ref).id))];
  }

  async test(ref: string): Promise<TestServerResult> {
    const row = this.find(ref);
    const result = await (await this.deps.ssh.load()).test(row.id);
    if (!result.ok) {
      this.deps.store.recordCheck(row.id, { at: Date.now(), ok: false, latencyMs: null, error: result.error?.message ?? null });
    }
    return {
      server: this.dto(this.row(row.id)),
      ok: result.ok,
      latencyMs: result.latencyMs,
      hostKey: result.hostKey,
      error: result.error === null ? null : { kind: result.error.kind, message: result.error.message },
    };
  }

  /**
   * Pins the key the server shows now; with `fingerprint`, only when it is that one; with
   * `knownHostsFile`, only when that file (OpenSSH known_hosts) holds it for the server's host and port.
   */
  async trust(ref: string, fingerprint: string | undefined, knownHostsFile?: string): Promise<TrustServerResult> {
    const row = this.find(ref);
    let known: string[] | undefined;
    if (knownHostsFile !== undefined) {
      let text: string;
      try {
        text = readFileSync(knownHostsFile, 'utf8');
      } catch (e) {
        throw invalid('knownHostsFile', `cannot read ${knownHostsFile} (${(e as Error).message})`);
      }
      known = knownKeysFor(text, row.host, row.port).map((key) => key.fingerprint);
      if (known.length === 0) {
        throw new CroniumError(ErrorCodes.HostKeyMismatch, 'host_key_mismatch', `${knownHostsFile} has no key for ${knownHostsName(row.host, row.port)}; nothing was trusted`, {
          server: row.name,
        });
      }
    }
    const seen = await (await this.deps.ssh.load()).scan(row.id);
    if (known !== undefined && !known.includes(seen.fingerprint)) {
      throw new CroniumError(
        ErrorCodes.HostKeyMismatch,
        'host_key_mismatch',
        `${row.name} (${row.host}:${row.port}) shows ${seen.type} ${seen.fingerprint}, which ${knownHostsFile} does not hold for it (it has ${known.join(', ')}); nothing was trusted`,
        { server: row.name, fingerprint: seen.fingerprint, keyType: seen.type },
      );
    }
    if (fingerprint !== undefined && seen.fingerprint !== fingerprint) {
      throw new CroniumError(
        ErrorCodes.HostKeyMismatch,
        'host_key_mismatch',
        `${row.name} (${row.host}:${row.port}) shows ${seen.type} ${seen.fingerprint}, not ${fingerprint}; nothing was trusted`,
        { server: row.name, fingerprint: seen.fingerprint, expected: fingerprint, keyType: seen.type },
      );
    }
    const replaced = row.host_key_fingerprint === null || row.host_key_fingerprint === seen.fingerprint ? null : hostKeyOfRow(row);
    this.deps.store.update({ ...writeOf(row), host_key_type: seen.type, host_key_fingerprint: seen.fingerprint, trusted_at: Date.now() });
    if (replaced !== null) this.deps.ssh.loaded()?.forget(row.id);
    this.deps.changed?.(row.id);
    return { server: this.dto(this.row(row.id)), replaced };
  }

  /** A connection or a test ended: its outcome is kept for `servers show`. */
  recordCheck(id: string, check: { ok: boolean; latencyMs: number | null; error: string | null }): void {
    if (this.deps.store.get(id) === undefined) return;
    this.deps.store.recordCheck(id, { at: Date.now(), ...check });
  }

  /** The server as the SSH executor connects to it, secrets opened; undefined once removed. */
  config(id: string): SshServerConfig | undefined {
    const row = this.deps.store.get(id);
    if (row === undefined) return undefined;
    const open = (sealed: string | null): string | undefined => (sealed === null ? undefined : this.deps.secrets.open(sealed));
    const method = row.auth as ServerAuthMethod;
    const auth: SshServerConfig['auth'] =
      method === 'key'
        ? { method, privateKey: open(row.key_sealed) ?? '', passphrase: open(row.passphrase_sealed) }
        : method === 'password'
          ? { method, password: open(row.password_sealed) ?? '' }
          : { method, socket: row.agent_socket ?? undefined };
    const jump = row.jump_server_id === null ? undefined : this.config(row.jump_server_id);
    return {
      id: row.id,
      name: row.name,
      host: row.host,
      port: row.port,
      username: row.username,
      auth,
      hostKey: hostKeyOfRow(row) ?? undefined,
      ...(jump === undefined ? {} : { jump: { ...jump, jump: undefined } }),
    };
  }

  /** A server by name or id; throws `ServerNotFound`. */
  find(ref: string): ServerRow {
    const row = SERVER_ID.test(ref) ? (this.deps.store.get(ref) ?? this.deps.store.byName(ref)) : this.deps.store.byName(ref);
    if (row === undefined) {
      throw new CroniumError(ErrorCodes.ServerNotFound, 'server_not_found', `No server ${ref}`, { server: ref, hint: { action: 'list_servers' } });
    }
    return row;
  }

  private refreshRedactor(): void {
    if (this.deps.redactor === undefined) return;
    const values: string[] = [];
    for (const row of this.deps.store.list()) {
      for (const sealed of [row.password_sealed, row.passphrase_sealed, row.key_sealed]) if (sealed !== null) values.push(this.deps.secrets.open(sealed));
    }
    this.deps.redactor.setSecrets(values, 'servers');
  }

  private row(id: string): ServerRow {
    return this.deps.store.get(id) as ServerRow;
  }

  /**
   * The row to store: the given fields over the old ones. Auth and its secret go together: naming a method
   * needs its secret (unless it stays the same), and a secret given without a method implies it.
   */
  private write(id: string, name: string, fields: ServerFields, old: ServerRow | undefined): ServerWrite {
    const base: ServerWrite = old === undefined ? emptyWrite(id) : writeOf(old);
    const auth: ServerAuthMethod =
      fields.auth ?? (fields.privateKey !== undefined ? 'key' : fields.password !== undefined ? 'password' : ((old?.auth as ServerAuthMethod | undefined) ?? 'agent'));
    const seal = (value: string | undefined, kept: string | null): string | null => (value === undefined ? kept : this.deps.secrets.seal(value));
    const sameAuth = old !== undefined && old.auth === auth;
    const next: ServerWrite = {
      ...base,
      name,
      host: fields.host ?? base.host,
      port: fields.port ?? base.port,
      username: fields.username ?? base.username ?? this.deps.defaultUser,
      auth,
      key_sealed: auth === 'key' ? seal(fields.privateKey, sameAuth ? base.key_sealed : null) : null,
      passphrase_sealed: auth === 'key' ? seal(fields.passphrase, sameAuth && fields.privateKey === undefined ? base.passphrase_sealed : null) : null,
      password_sealed: auth === 'password' ? seal(fields.password, sameAuth ? base.password_sealed : null) : null,
      agent_socket: auth === 'agent' ? (fields.agentSocket ?? (sameAuth ? base.agent_socket : null)) : null,
    };
    if (next.username === '') next.username = this.deps.defaultUser;
    if (fields.jump !== undefined) next.jump_server_id = fields.jump === '' ? null : this.jumpOf(id, fields.jump);
    if (auth === 'key' && next.key_sealed === null) throw invalid('privateKey', 'auth key needs a private key (--key FILE)');
    if (auth === 'password' && next.password_sealed === null) throw invalid('password', 'auth password needs a password (--password-stdin)');
    // Another address is another machine: its key must be trusted anew.
    if (old !== undefined && (next.host !== old.host || next.port !== old.port)) {
      next.host_key_type = null;
      next.host_key_fingerprint = null;
      next.trusted_at = null;
    }
    return next;
  }

  /** The id of a jump server: another server, itself direct (one bastion, no chains). */
  private jumpOf(id: string, ref: string): string {
    const jump = this.find(ref);
    if (jump.id === id) throw invalid('jump', 'a server cannot jump through itself');
    if (jump.jump_server_id !== null) throw invalid('jump', `${jump.name} goes through a jump server itself; one bastion is supported`);
    if (this.deps.store.jumpingThrough(id).length > 0) throw invalid('jump', 'other servers jump through this one; it must stay direct');
    return jump.id;
  }

  dto(row: ServerRow): ServerDto {
    const pool = this.deps.ssh.loaded()?.health(row.id);
    const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    const hostKey = hostKeyOfRow(row);
    return {
      id: row.id,
      name: row.name,
      host: row.host,
      port: row.port,
      username: row.username,
      auth: row.auth as ServerAuthMethod,
      hasKey: row.key_sealed !== null,
      hasPassphrase: row.passphrase_sealed !== null,
      hasPassword: row.password_sealed !== null,
      agentSocket: row.agent_socket,
      jump: row.jump_server_id === null ? null : (this.deps.store.get(row.jump_server_id)?.name ?? null),
      hostKey: hostKey === null ? null : { ...hostKey, trustedAt: iso(row.trusted_at) as string },
      health: {
        state: row.last_check_ok === null ? 'unknown' : row.last_check_ok === 1 ? 'online' : 'offline',
        circuit: pool?.circuit ?? 'closed',
        consecutiveFailures: pool?.consecutiveFailures ?? 0,
        retryAt: iso(pool?.retryAt ?? null),
        connections: pool?.connections ?? 0,
        lastCheckAt: iso(row.last_check_at),
        latencyMs: row.last_latency_ms,
        lastError: row.last_error,
      },
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }
}

function hostKeyOfRow(row: ServerRow): HostKey | null {
  return row.host_key_fingerprint === null ? null : { type: row.host_key_type ?? 'unknown', fingerprint: row.host_key_fingerprint };
}

function writeOf(row: ServerRow): ServerWrite {
  const { last_check_at: _a, last_check_ok: _o, last_latency_ms: _l, last_error: _e, created_at: _c, updated_at: _u, ...write } = row;
  return write;
}

function emptyWrite(id: string): ServerWrite {
  return {
    id,
    name: '',
    host: '',
    port: 22,
    username: '',
    auth: 'agent',
    key_sealed: null,
    passphrase_sealed: null,
    password_sealed: null,
    agent_socket: null,
    jump_server_id: null,
    host_key_type: null,
    host_key_fingerprint: null,
    trusted_at: null,
  };
}

function exists(name: string): CroniumError {
  return new CroniumError(ErrorCodes.ServerExists, 'server_exists', `A server named ${name} exists already`, { server: name });
}

function invalid(path: string, message: string): CroniumError {
  return new CroniumError(ErrorCodes.InvalidParams, 'invalid_params', `Invalid params: ${path}: ${message}`, { issues: [{ path, message }] });
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function newServerId(): string {
  let id = 'srv_';
  for (const b of randomBytes(12)) id += ID_ALPHABET[b % ID_ALPHABET.length];
  return id;
}
