import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { errnoCode } from '../errors';
import type { Logger } from '../logger';
import type { LogHub } from '../logs/logHub';
import type { JobDto } from '../protocol/dto';
import { EventChangedNotification, type EventDto } from '../protocol/events';
import { JobStatusChangedNotification } from '../protocol/jobs';
import {
  WorkflowChangedNotification,
  WorkflowRunChangedNotification,
  type WorkflowDto,
  type WorkflowRunDto,
  type WorkflowStepDto,
} from '../protocol/workflows';
import type { InitializeResult } from '../protocol/lifecycle';
import { ClientSession } from './clientSession';
import { registerHandlers, type HandlerDeps } from './handlers';

/** How long a job's change other than its end may wait to be announced with others. */
const STATUS_COALESCE_MS = 20;

export interface RpcServerOptions extends HandlerDeps {
  token: string;
  logger: Logger;
  hub: LogHub;
  initializeResult: () => InitializeResult;
  /** Runs before a turn's messages leave a connection: the daemon commits the turn's writes there. */
  beforeFlush: () => void;
  /** The current DTO of this event, undefined once it is deleted. */
  eventDto: (id: string) => EventDto | undefined;
  /** The current DTOs of these jobs (those that still exist). */
  jobDtos: (jobIds: readonly string[]) => JobDto[];
}

/** The daemon's unix socket: one {@link ClientSession} per connection. */
export class RpcServer {
  private readonly sessions = new Set<ClientSession>();
  private readonly server: Server;
  private readonly pendingStatus = new Set<string>();
  private statusFlush: NodeJS.Immediate | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private lastStatusFlush = -Infinity;

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
   * Tells watching clients that a job changed, with the job's latest state; the DTOs are only built,
   * in one batch, when someone watches. A job that `settled` (ended) is announced at the end of this
   * turn. Other changes (queued, claimed, running) wait for the next announcement, at most
   * {@link STATUS_COALESCE_MS}: under a stream of short jobs one message then carries many of them,
   * instead of a message for every step of every job, and a job that starts and ends within the window
   * is announced once, ended.
   */
  broadcastStatus(jobId: string, settled = false): void {
    if (![...this.sessions].some((s) => s.watchesJobs)) return;
    this.pendingStatus.add(jobId);
    const quietFor = performance.now() - this.lastStatusFlush;
    if (settled || quietFor >= STATUS_COALESCE_MS) {
      this.statusFlush ??= setImmediate(() => this.flushStatus());
    } else {
      this.statusTimer ??= setTimeout(() => this.flushStatus(), STATUS_COALESCE_MS - quietFor);
    }
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.sessions].map((session) => session.end()));
    await closed;
  }

  /** Tells watching clients that an event was created, changed or deleted. */
  broadcastEvent(id: string): void {
    if (![...this.sessions].some((s) => s.watchesJobs)) return;
    const event = this.options.eventDto(id);
    const message = event === undefined ? { event: { id } as EventDto, deleted: true } : { event };
    for (const session of this.sessions) {
      if (session.watchesJobs) void session.connection.sendNotification(EventChangedNotification, message).catch(() => undefined);
    }
  }

  /** True when some connection watches workflows (the daemon builds their messages only then). */
  get watchesWorkflows(): boolean {
    return [...this.sessions].some((s) => s.watchesWorkflows);
  }

  /** Tells watching clients that a run or some of its steps changed, at once (a step's start is news). */
  broadcastRun(run: Omit<WorkflowRunDto, 'steps'>, steps: WorkflowStepDto[]): void {
    for (const session of this.sessions) {
      if (session.watchesWorkflows) void session.connection.sendNotification(WorkflowRunChangedNotification, { run, steps }).catch(() => undefined);
    }
  }

  /** Tells watching clients that a workflow was registered, changed (on disk too) or deleted. */
  broadcastWorkflow(workflow: WorkflowDto, deleted = false): void {
    const message = deleted ? { workflow, deleted } : { workflow };
    for (const session of this.sessions) {
      if (session.watchesWorkflows) void session.connection.sendNotification(WorkflowChangedNotification, message).catch(() => undefined);
    }
  }

  private flushStatus(): void {
    clearImmediate(this.statusFlush);
    clearTimeout(this.statusTimer);
    this.statusFlush = undefined;
    this.statusTimer = undefined;
    this.lastStatusFlush = performance.now();
    const jobs = this.options.jobDtos([...this.pendingStatus]);
    this.pendingStatus.clear();
    for (const session of this.sessions) {
      if (!session.watchesJobs) continue;
      for (const job of jobs) {
        void session.connection.sendNotification(JobStatusChangedNotification, { job }).catch(() => undefined);
      }
    }
  }

  private accept(socket: Socket): void {
    const session = new ClientSession(socket, {
      token: this.options.token,
      logger: this.options.logger,
      initializeResult: this.options.initializeResult,
      beforeFlush: this.options.beforeFlush,
      onClose: (s) => {
        this.sessions.delete(s);
        this.options.hub.removeClient(s.id);
      },
    });
    registerHandlers(session, this.options);
    this.sessions.add(session);
  }
}
