import { connect as netConnect } from 'node:net';
import type { Client } from 'ssh2';
import { CircuitBreaker } from './circuitBreaker';
import { connectOnce } from './connect';
import { describeServer, SshFailure, type SshServerConfig, type SshSettings } from './sshServer';

/** Jobs one connection carries at once (sshd's MaxSessions is 10 by default; a stop takes a channel too). */
const JOBS_PER_CONNECTION = 4;
/** Connecting, not running: attempts per connection, and the first backoff (doubled each time, with jitter). */
const CONNECT_ATTEMPTS = 3;
const FIRST_BACKOFF_MS = 250;

/** One pooled connection and its reverse tunnel to the daemon's runtime API. */
export class PooledConnection {
  jobs = 0;
  closed = false;
  /** Takes no new job, and closes once its jobs ended (the server's address, login or key changed). */
  draining = false;
  idleTimer: NodeJS.Timeout | undefined;
  /** Every server port this connection forwards to the runtime API (its own, and re-adopted jobs'). */
  readonly tunnels = new Set<number>();

  constructor(
    readonly client: Client,
    /** The server's 127.0.0.1 port forwarded to the runtime API; null when the server refused forwarding. */
    readonly tunnelPort: number | null,
  ) {
    if (tunnelPort !== null) this.tunnels.add(tunnelPort);
  }

  /**
   * Forwards `port` of the server too: a re-adopted job still has the tunnel port of the connection
   * that started it in its environment, free again since that connection died. False when the server
   * refused (the port was taken meanwhile): the job's helpers then fail, the job still runs.
   */
  addTunnel(port: number): Promise<boolean> {
    if (this.tunnels.has(port)) return Promise.resolve(true);
    return new Promise((resolve) =>
      this.client.forwardIn('127.0.0.1', port, (error) => {
        if (!error) this.tunnels.add(port);
        resolve(!error);
      }),
    );
  }
}

/** A connection lent to one job; `release` gives it back. */
export interface Lease {
  connection: PooledConnection;
  release(): void;
}

export interface ServerPoolDeps {
  /** The server as stored now (a trust or an update applies to the next connection). */
  config: () => SshServerConfig | undefined;
  settings: () => SshSettings;
  /** The daemon's runtime API on this machine's 127.0.0.1. */
  runtimeApiPort: () => number;
  /** Each connection's outcome, kept for `servers show`. */
  onCheck: (check: { ok: boolean; latencyMs: number | null; error: string | null }) => void;
  log: (message: string) => void;
}

/**
 * The connections to one server: at most `poolSize`, each carrying up to four jobs at once, kept open
 * between jobs (keepalives find a dead one) and closed after `idleMs` without a job. Connecting is
 * retried with backoff; once a job has its connection nothing is retried (a started script never runs
 * twice). A circuit breaker refuses jobs at once while the server keeps failing.
 */
export class ServerPool {
  readonly breaker: CircuitBreaker;
  private readonly connections = new Set<PooledConnection>();
  private connecting = 0;
  private readonly waiting: (() => void)[] = [];
  private closing = false;

  constructor(
    readonly serverId: string,
    private readonly deps: ServerPoolDeps,
  ) {
    this.breaker = new CircuitBreaker(() => deps.settings().circuitResetMs);
  }

  get size(): number {
    return this.connections.size;
  }

  /** A connection for one job: an idle one, else a new one while the pool has room, else a shared one. */
  async lease(): Promise<Lease> {
    for (;;) {
      if (this.closing) throw new SshFailure('ssh_unreachable', 'The daemon is shutting down');
      const open = [...this.connections].filter((c) => !c.closed && !c.draining);
      const idle = open.find((c) => c.jobs === 0);
      if (idle !== undefined) return this.lend(idle);
      if (open.length + this.connecting < this.deps.settings().poolSize) return this.lend(await this.open());
      const least = open.sort((a, b) => a.jobs - b.jobs)[0];
      if (least !== undefined && least.jobs < JOBS_PER_CONNECTION) return this.lend(least);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Closes every connection (daemon shutdown, server removed). */
  close(): void {
    this.closing = true;
    for (const connection of this.connections) connection.client.end();
    this.connections.clear();
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** Closes idle connections (the settings changed). */
  dropIdle(): void {
    for (const connection of this.connections) if (connection.jobs === 0) this.retire(connection);
  }

  /**
   * The server changed (address, login, trusted key): new jobs connect anew, and each connection closes
   * once the jobs running on it ended (they are not cut off).
   */
  drain(): void {
    for (const connection of this.connections) {
      connection.draining = true;
      if (connection.jobs === 0) this.retire(connection);
    }
  }

  private lend(connection: PooledConnection): Lease {
    connection.jobs++;
    clearTimeout(connection.idleTimer);
    let released = false;
    return {
      connection,
      release: () => {
        if (released) return;
        released = true;
        connection.jobs--;
        if (connection.jobs === 0 && connection.draining) this.retire(connection);
        else if (connection.jobs === 0 && !connection.closed) {
          connection.idleTimer = setTimeout(() => this.retire(connection), this.deps.settings().idleMs);
          connection.idleTimer.unref();
        }
        this.waiting.shift()?.();
      },
    };
  }

  private retire(connection: PooledConnection): void {
    clearTimeout(connection.idleTimer);
    connection.closed = true;
    this.connections.delete(connection);
    connection.client.end();
  }

  /** Connects with retries (transient failures only), through the circuit breaker. */
  private async open(): Promise<PooledConnection> {
    this.connecting++;
    try {
      for (let attempt = 1; ; attempt++) {
        const server = this.deps.config();
        if (server === undefined) throw new SshFailure('ssh_unreachable', 'The server was removed');
        if (!this.breaker.tryAcquire()) throw circuitOpen(server, this.breaker);
        const settings = this.deps.settings();
        const started = Date.now();
        try {
          const client = await connectOnce(server, { timeoutMs: settings.connectTimeoutMs, keepaliveMs: settings.keepaliveMs });
          this.breaker.succeeded();
          this.deps.onCheck({ ok: true, latencyMs: Date.now() - started, error: null });
          return await this.adopt(client, server);
        } catch (e) {
          const failure = SshFailure.isSsh(e) ? e : new SshFailure('ssh_unreachable', `Cannot connect to ${describeServer(server)}: ${(e as Error).message}`);
          this.deps.onCheck({ ok: false, latencyMs: null, error: failure.message });
          if (!failure.transient) {
            this.breaker.released();
            throw failure;
          }
          this.breaker.failed();
          if (attempt >= CONNECT_ATTEMPTS || this.closing) throw failure;
          const backoff = FIRST_BACKOFF_MS * 2 ** (attempt - 1) * (0.5 + Math.random());
          this.deps.log(`${failure.message}; attempt ${attempt + 1} of ${CONNECT_ATTEMPTS} in ${Math.round(backoff)} ms`);
          await new Promise((resolve) => setTimeout(resolve, backoff));
        }
      }
    } finally {
      this.connecting--;
    }
  }

  /** Sets up the reverse tunnel of a new connection and adds it to the pool. */
  private async adopt(client: Client, server: SshServerConfig): Promise<PooledConnection> {
    const tunnelPort = await new Promise<number | null>((resolve) =>
      // Port 0: the server picks a free one, so jobs of several daemons (or users) never collide.
      client.forwardIn('127.0.0.1', 0, (error, port) => {
        if (error) this.deps.log(`${describeServer(server)} refused the reverse tunnel (${error.message}): helpers will not reach the daemon`);
        resolve(error ? null : port);
      }),
    );
    const connection = new PooledConnection(client, tunnelPort);
    client.on('tcp connection', (info, accept, reject) => {
      if (!connection.tunnels.has(info.destPort)) return reject();
      const remote = accept();
      const local = netConnect(this.deps.runtimeApiPort(), '127.0.0.1');
      remote.on('error', () => local.destroy());
      local.on('error', () => remote.destroy());
      remote.pipe(local).pipe(remote);
    });
    const gone = (): void => {
      connection.closed = true;
      clearTimeout(connection.idleTimer);
      this.connections.delete(connection);
      for (const wake of this.waiting.splice(0)) wake();
    };
    client.on('close', gone);
    client.on('error', (e) => this.deps.log(`connection to ${describeServer(server)}: ${e.message}`));
    if (this.closing) client.end();
    this.connections.add(connection);
    return connection;
  }
}

function circuitOpen(server: SshServerConfig, breaker: CircuitBreaker): SshFailure {
  const retryAt = breaker.retryAt;
  const when = retryAt === null ? 'soon' : `at ${new Date(retryAt).toISOString()}`;
  return new SshFailure(
    'circuit_open',
    `${describeServer(server)} failed ${breaker.consecutiveFailures} connection attempts in a row: jobs are refused until the next try ${when}`,
    { server: server.name, retryAt: retryAt === null ? null : new Date(retryAt).toISOString() },
  );
}
