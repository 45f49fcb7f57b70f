import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { errnoCode } from '../errors';
import type { Logger } from '../logger';
import type { LogHub } from '../logs/logHub';
import type { JobDto } from '../protocol/dto';
import { JobStatusChangedNotification } from '../protocol/jobs';
import type { InitializeResult } from '../protocol/lifecycle';
import { ClientSession } from './clientSession';
import { registerHandlers, type HandlerDeps } from './handlers';

export interface RpcServerOptions extends HandlerDeps {
  token: string;
  logger: Logger;
  hub: LogHub;
  initializeResult: () => InitializeResult;
  /** The current DTOs of these jobs (those that still exist). */
  jobDtos: (jobIds: readonly string[]) => JobDto[];
}

/** The daemon's unix socket: one {@link ClientSession} per connection. */
export class RpcServer {
  private readonly sessions = new Set<ClientSession>();
  private readonly server: Server;
  private readonly pendingStatus = new Set<string>();
  private statusFlush: NodeJS.Immediate | undefined;

  constructor(private readonly options: RpcServerOptions) {
    this.server = createServer((socket) => this.accept(socket));
  }

  get clientCount(): number {
    return this.sessions.size;
  }

  /** Binds the socket with mode 0600 from the start (umask), so no other user can ever connect. */
  async listen(path: string): Promise<void> {
    try {
      unlinkSync(path); // we hold the instance lock: a socket file left here is stale
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    const previous = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(path, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(previous);
    }
    chmodSync(path, 0o600);
  }

  /**
   * Tells watching clients that a job changed. Changes are sent once per event-loop turn with the
   * job's latest state (a job claimed and started in the same turn is announced once, as running),
   * and the DTOs are only built, in one batch, when someone watches.
   */
  broadcastStatus(jobId: string): void {
    if (![...this.sessions].some((s) => s.watchesJobs)) return;
    this.pendingStatus.add(jobId);
    this.statusFlush ??= setImmediate(() => {
      this.statusFlush = undefined;
      const jobs = this.options.jobDtos([...this.pendingStatus]);
      this.pendingStatus.clear();
      for (const session of this.sessions) {
        if (!session.watchesJobs) continue;
        for (const job of jobs) {
          void session.connection.sendNotification(JobStatusChangedNotification, { job }).catch(() => undefined);
        }
      }
    });
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.sessions].map((session) => session.end()));
    await closed;
  }

  private accept(socket: Socket): void {
    const session = new ClientSession(socket, {
      token: this.options.token,
      logger: this.options.logger,
      initializeResult: this.options.initializeResult,
      onClose: (s) => {
        this.sessions.delete(s);
        this.options.hub.removeClient(s.id);
      },
    });
    registerHandlers(session, this.options);
    this.sessions.add(session);
  }
}
