import type { Db } from './database';

/** A server row. `*_sealed` are sealed with the master key (secrets/secretBox.ts). Times in ms since the epoch. */
export interface ServerRow {
  id: string;
  name: string;
  host: string;
  port: number;
  username: string;
  auth: string;
  key_sealed: string | null;
  passphrase_sealed: string | null;
  password_sealed: string | null;
  agent_socket: string | null;
  jump_server_id: string | null;
  host_key_type: string | null;
  host_key_fingerprint: string | null;
  trusted_at: number | null;
  last_check_at: number | null;
  last_check_ok: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** What a write sets (every column but the check results, which {@link ServerStore.recordCheck} keeps). */
export type ServerWrite = Omit<ServerRow, 'last_check_at' | 'last_check_ok' | 'last_latency_ms' | 'last_error' | 'created_at' | 'updated_at'>;

/** Prepared statements for `servers`. */
export class ServerStore {
  private readonly stmts;

  constructor(
    db: Db,
    /** Called before each write: the daemon joins it to the turn's transaction (see TurnTransaction). */
    private readonly beforeWrite: () => void = () => undefined,
  ) {
    this.stmts = {
      get: db.prepare<[string], ServerRow>('SELECT * FROM servers WHERE id = ?'),
      byName: db.prepare<[string], ServerRow>('SELECT * FROM servers WHERE name = ?'),
      list: db.prepare<[], ServerRow>('SELECT * FROM servers ORDER BY name'),
      insert: db.prepare(
        `INSERT INTO servers (id, name, host, port, username, auth, key_sealed, passphrase_sealed, password_sealed, agent_socket, jump_server_id,
                              host_key_type, host_key_fingerprint, trusted_at, created_at, updated_at)
         VALUES (@id, @name, @host, @port, @username, @auth, @key_sealed, @passphrase_sealed, @password_sealed, @agent_socket, @jump_server_id,
                 @host_key_type, @host_key_fingerprint, @trusted_at, @now, @now)`,
      ),
      update: db.prepare(
        `UPDATE servers SET name = @name, host = @host, port = @port, username = @username, auth = @auth, key_sealed = @key_sealed,
                            passphrase_sealed = @passphrase_sealed, password_sealed = @password_sealed, agent_socket = @agent_socket,
                            jump_server_id = @jump_server_id,
                            host_key_type = @host_key_type, host_key_fingerprint = @host_key_fingerprint, trusted_at = @trusted_at,
                            updated_at = @now
         WHERE id = @id`,
      ),
      check: db.prepare<[number, number, number | null, string | null, string]>(
        'UPDATE servers SET last_check_at = ?, last_check_ok = ?, last_latency_ms = ?, last_error = ? WHERE id = ?',
      ),
      delete: db.prepare<[string]>('DELETE FROM servers WHERE id = ?'),
      jumpers: db.prepare<[string], { name: string }>('SELECT name FROM servers WHERE jump_server_id = ?'),
    };
  }

  get(id: string): ServerRow | undefined {
    return this.stmts.get.get(id);
  }

  byName(name: string): ServerRow | undefined {
    return this.stmts.byName.get(name);
  }

  list(): ServerRow[] {
    return this.stmts.list.all();
  }

  insert(row: ServerWrite): void {
    this.beforeWrite();
    this.stmts.insert.run({ ...row, now: Date.now() });
  }

  update(row: ServerWrite): void {
    this.beforeWrite();
    this.stmts.update.run({ ...row, now: Date.now() });
  }

  /** The outcome of a connection or a test: kept for `servers show` across restarts. */
  recordCheck(id: string, check: { at: number; ok: boolean; latencyMs: number | null; error: string | null }): void {
    this.beforeWrite();
    this.stmts.check.run(check.at, check.ok ? 1 : 0, check.latencyMs, check.error, id);
  }

  /** Names of the servers reached through this one. */
  jumpingThrough(id: string): string[] {
    return this.stmts.jumpers.all(id).map((row) => row.name);
  }

  delete(id: string): boolean {
    this.beforeWrite();
    return this.stmts.delete.run(id).changes === 1;
  }
}
