import { createHash } from 'node:crypto';
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { version as daemonVersion } from '../package.json';
import { coerceError } from './errors';
import { LazyExecutor } from './executors/lazyExecutor';
import { LocalProcessExecutor } from './executors/localProcess';
import { createSpawner } from './executors/spawner';
import { ExecutorRegistry } from './executors/registry';
import { ensureHome, homePaths } from './home';
import { acquireInstanceLock } from './instanceLock';
import { openFileLogger, type Logger } from './logger';
import { LogFlushGroup } from './logs/logFlushGroup';
import { LogHub } from './logs/logHub';
import { Redactor } from './logs/redactor';
import type { DaemonLifecycleState, DaemonStatusResult } from './protocol/lifecycle';
import { PROTOCOL_VERSION } from './protocol/version';
import { JobQueue } from './queue/jobQueue';
import { LifecycleBus, type LifecycleEvent } from './queue/lifecycleBus';
import { LogRetention } from './queue/logRetention';
import { RpcServer } from './rpc/server';
import { ExecutionTokens, tokenLifetimeSeconds } from './runtimeApi/executionTokens';
import { LocalRuntimeListener } from './runtimeApi/localListener';
import { RateLimiter } from './runtimeApi/rateLimiter';
import { createRuntimeApiHandler } from './runtimeApi/runtimeApiHandler';
import type { RuntimeRequestHandler } from './runtimeApi/types';
import { SecretBox } from './secrets/secretBox';
import { containerOptionsSpec } from './executors/container/containerOptions';
import { imageFor, Settings } from './settings';
import { openDatabase } from './store/database';
import { ExecutionStore } from './store/executionStore';
import { JobStore } from './store/jobStore';
import { LogStore } from './store/logStore';
import { RetentionStore } from './store/retentionStore';
import { SettingsStore } from './store/settingsStore';
import { TurnTransaction } from './store/turnTransaction';
import { EventStore } from './store/eventStore';
import { EventActions } from './events/actions';
import { Events } from './events/events';
import { Mailer } from './events/notifiers';
import { ActionStore } from './store/actionStore';
import { Scheduler } from './scheduler/scheduler';
import { VariableStore } from './store/variableStore';
import { ensureToken } from './token';
import { Servers } from './servers/servers';
import { ServerStore } from './store/serverStore';
import type { SshExecutor } from './executors/ssh/sshExecutor';
import { userInfo } from 'node:os';
import { Variables } from './variables';
import { WorkflowStore } from './store/workflowStore';
import { WorkflowParts } from './workflows/workflowParts';

export interface DaemonOptions {
  home: string;
  /** Also print the daemon log to stderr. */
  echoLog: boolean;
  debug: boolean;
}

const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
/** If jobs do not end this long after SIGKILL, the daemon exits anyway. */
const FORCE_EXIT_MS = 3000;
/** Runtime API requests per execution: a burst, then this many per minute. */
const RATE_PER_MINUTE = 1000;
const RATE_BURST = 200;

/** The helper libraries ship next to dist/ (helpers/cronium.sh, .py, .js). */
export const HELPERS_DIR = join(__dirname, '..', 'helpers');

/**
 * Starts the daemon of `home` and resolves once it serves its socket. Returns false when another
 * daemon already serves this home (that is not an error: it is reported and the caller exits 0).
 *
 * It serves before it has recovered the jobs an earlier daemon left running: recovery may wait on a
 * Docker engine for up to its setup bound (60 s), and clients must not be locked out meanwhile. While
 * it lasts, `daemon/status` says `recovering`, reads are answered, and jobs submitted wait `queued`.
 */
export async function startDaemon(options: DaemonOptions): Promise<boolean> {
  // The pid file may name this daemon from the moment it is created: a stop signal must not kill the
  // daemon before it can release it. So from before the lock is taken, a stop signal that comes while
  // the daemon starts is held, and honoured once it serves.
  let onStopSignal = (signal: string): void => void (heldSignal ??= signal);
  let heldSignal: string | undefined;
  for (const signal of STOP_SIGNALS) process.on(signal, (s) => onStopSignal(s));
  const paths = homePaths(options.home);
  ensureHome(paths);
  const lock = acquireInstanceLock(paths.pidFile);
  if (!lock.acquired) {
    process.stdout.write(`Cronium daemon already running (pid ${lock.pid}, home ${paths.root})\n`);
    return false;
  }
  const logger = openFileLogger(paths.daemonLog, { echo: options.echoLog, debug: options.debug });
  installCrashGuards(logger);
  const startedAt = Date.now();
  const token = ensureToken(paths.token);
  const db = openDatabase(paths.database);
  const turn = new TurnTransaction(db, (e) => logger.error(`storing this turn's changes failed: ${coerceError(e).message}`));
  const join = (): void => turn.join();
  // Each store writes the other's rows inside its own transactions: a job is stored with its first
  // executions, and an execution's change updates its job's derived status.
  const executions: ExecutionStore = new ExecutionStore(db, (jobId) => jobs.refreshSummary(jobId), join);
  const jobs: JobStore = new JobStore(db, (execution) => executions.insert(execution), join);
  const logs = new LogStore(db, join);
  const settings = new Settings(new SettingsStore(db));
  const secrets = SecretBox.open(paths.masterKey);
  const redactor = new Redactor();
  const variables = new Variables(new VariableStore(db), secrets, redactor);
  const tokens = new ExecutionTokens(secrets.deriveKey('execution-tokens'));
  const answer = createRuntimeApiHandler({
    tokens,
    jobs,
    executions,
    variables,
    limiter: new RateLimiter(RATE_PER_MINUTE, RATE_BURST),
    onError: (m) => logger.error(m),
    eventOf: (id) => {
      const event = eventStore.get(id);
      if (event === undefined) return undefined;
      const { id: _id, name, description, tags, type, scheduleText, status, runCount, maxRuns } = events.dto(event);
      return { id: _id, name, description, tags, type, schedule: scheduleText, status, runCount, maxRuns };
    },
  });
  // A script told its output is saved can count on it.
  const runtimeApi: RuntimeRequestHandler = async (request) => {
    const response = await answer(request);
    turn.commit();
    return response;
  };
  const localApi = new LocalRuntimeListener(runtimeApi);
  await localApi.listen();

  // Settles once the jobs an earlier daemon left running are recovered or given up (see recover()).
  let markRecovered = (): void => undefined;
  const recovered = new Promise<void>((resolve) => (markRecovered = resolve));
  const lostContainerJobs = executions.active().some((execution) => execution.target === 'container');

  const registry = new ExecutorRegistry();
  const spawner = createSpawner(paths.spawnerSocket, (m) => logger.warn(m));
  registry.register(
    new LocalProcessExecutor({
      jobNice: () => settings.get().jobNice,
      runDir: paths.runDir,
      helpersDir: HELPERS_DIR,
      runtimeApiUrl: () => localApi.url,
      spawner,
      log: (m) => logger.warn(m),
    }),
  );
  registry.register(
    new LazyExecutor(
      'container',
      async () => {
        const { ContainerExecutor } = loadContainerBundle();
        return new ContainerExecutor({
          dockerHost: settings.get().dockerHost || undefined, // read once: a change applies after a restart
          images: (kind) => imageFor(settings.get(), kind),
          warmSlots: () => settings.get().warmContainers,
          warmMarker: paths.warmMarker,
          runtimeApi,
          // Labels every container and network of this home, so a restarted daemon finds its own.
          daemonId: createHash('sha256').update(paths.root).digest('hex').slice(0, 16),
          logger,
        });
      },
      // Containers or networks a crashed daemon left behind with no job to recover: remove them. Not
      // before recovery is over (a client may load the executor first, e.g. jobs/run while we recover),
      // and not when recovery had container jobs to find: it removes the rest itself, and a second pass
      // now would take the containers it re-adopted for leftovers.
      (executor) =>
        void recovered.then(() =>
          lostContainerJobs
            ? undefined
            : executor.recover?.([], () => ({ onStarted: () => undefined, onOutput: () => undefined })).catch(() => undefined),
        ),
      containerOptionsSpec,
    ),
  );

  // The SSH executor (ssh2) is a bundle of its own too, loaded on the first SSH job, test or trust.
  let sshExecutor: SshExecutor | undefined;
  let sshLoading: Promise<SshExecutor> | undefined;
  const loadSsh = (): Promise<SshExecutor> =>
    (sshLoading ??= Promise.resolve().then(() => {
      const { SshExecutor: Ssh } = loadSshBundle();
      sshExecutor = new Ssh({
        server: (id) => servers.config(id),
        settings: () => {
          const s = settings.get();
          return {
            poolSize: s.sshPoolSize,
            connectTimeoutMs: s.sshConnectTimeoutMs,
            keepaliveMs: s.sshKeepaliveMs,
            idleMs: s.sshIdleMs,
            circuitResetMs: s.sshCircuitResetMs,
          };
        },
        helpersDir: HELPERS_DIR,
        runtimeApiPort: () => Number(new URL(localApi.url).port),
        onCheck: (id, check) => servers.recordCheck(id, check),
        log: (m) => logger.warn(m),
      });
      return sshExecutor;
    }));
  registry.register(new LazyExecutor('ssh', loadSsh));
  const servers = new Servers({
    store: new ServerStore(db, join),
    secrets,
    ssh: { loaded: () => sshExecutor, load: loadSsh },
    defaultUser: userInfo().username,
    redactor,
  });

  // The hub asks the queue where a job's log stands; the queue hands lines to the hub.
  const bus = new LifecycleBus((event: LifecycleEvent, e: unknown) =>
    logger.error(`a listener of ${event} failed: ${coerceError(e).stack ?? String(e)}`),
  );
  const hub: LogHub = new LogHub(logs, (id) => queue.logState(id));
  bus.on('execution:finished', ({ execution }) => hub.finished(execution.id));
  // The scheduler is made after the queue it submits to; until then nothing is due.
  let schedulerRunDue = (): void => undefined;
  const queue: JobQueue = new JobQueue({
    urgent: () => schedulerRunDue(),
    jobs,
    executions,
    bus,
    logs,
    hub: () => hub,
    registry,
    secrets,
    redactor,
    logFlush: new LogFlushGroup((fn) => logs.inTransaction(fn)),
    commitWrites: () => turn.commit(),
    issueToken: ({ runsForMs, ...claims }) => tokens.issue(claims, tokenLifetimeSeconds(runsForMs)),
    settings: () => settings.get(),
    workDir: paths.workDir,
    logger,
  });
  const eventStore = new EventStore(db, join);
  const events = new Events({
    store: eventStore,
    queue,
    secrets,
    now: Date.now,
    changed: (id) => {
      scheduler.changed(id);
      server.broadcastEvent(id);
    },
    resolveServers: (refs) => servers.resolve(refs),
  });
  const scheduler: Scheduler = new Scheduler({ events, store: eventStore, queue, commitWrites: () => turn.commit(), logger });
  schedulerRunDue = () => scheduler.runDue();
  bus.on('job:finished', ({ job }) => {
    if (job.eventId !== null) scheduler.jobEnded(job.eventId);
  });
  const actions = new EventActions({
    store: new ActionStore(db, join),
    events,
    queue,
    variables,
    secrets,
    redactor,
    mailer: Mailer.fromEnv(),
    logger,
    now: Date.now,
  });
  bus.on('job:finished', ({ job, executions }) => actions.jobFinished(job, executions));
  const workflowParts = new WorkflowParts({
    store: new WorkflowStore(db, join),
    queue,
    jobs,
    events,
    eventStore,
    variable: (key) => variables.get(key),
    webhookAddress: () => ({ host: settings.get().webhookHost, port: settings.get().webhookPort }),
    commitWrites: () => turn.commit(),
    logger,
    announce: {
      run: (run, steps) => server.broadcastRun(run, steps),
      workflow: (workflow, deleted) => server.broadcastWorkflow(workflow, deleted),
      watched: () => server.watchesWorkflows,
    },
  });
  bus.on('job:finished', ({ job, executions }) => workflowParts.jobFinished(job, executions));
  const retention = new LogRetention(new RetentionStore(db), () => settings.get(), logger);

  let stopping: Promise<void> | undefined;
  let recovering = true;
  const state = (): DaemonLifecycleState => (stopping !== undefined ? 'stopping' : recovering ? 'recovering' : 'ready');
  const status = (): DaemonStatusResult => ({
    state: state(),
    pid: process.pid,
    daemonVersion,
    protocolVersion: PROTOCOL_VERSION,
    home: paths.root,
    startedAt: new Date(startedAt).toISOString(),
    uptimeMs: Date.now() - startedAt,
    runningJobs: queue.runningCount,
    queuedJobs: jobs.count('queued'),
    concurrency: settings.get().concurrency,
    clients: server.clientCount,
    targets: registry.kinds(),
    rssBytes: process.memoryUsage.rss(),
  });
  const server: RpcServer = new RpcServer({
    token,
    logger,
    hub,
    queue,
    jobs,
    logs,
    settings,
    variables,
    settingsChanged: () => {
      queue.pump(); // a higher concurrency frees slots at once
      registry.settingsChanged(); // e.g. warm containers turned off: their slots go now
      void retention.prune();
      workflowParts.settingsChanged();
    },
    status,
    requestShutdown: () => void shutdown('lifecycle/shutdown'),
    events,
    actions,
    workflows: workflowParts.workflows,
    engine: workflowParts.engine,
    workflowStore: workflowParts.deps.store,
    eventDto: (id) => {
      const event = eventStore.get(id);
      return event === undefined ? undefined : events.dto(event);
    },
    jobDtos: (ids) => queue.dtos(ids.map((id) => jobs.get(id)).filter((job) => job !== undefined)),
    recovered,
    servers,
    beforeFlush: () => turn.commit(),
    initializeResult: () => ({ daemonVersion, protocolVersion: PROTOCOL_VERSION, pid: process.pid, home: paths.root, state: state() }),
  });
  // Clients that watch jobs hear of every change, with the job's latest state.
  const announce = ({ job }: { job: { id: string } }): void => server.broadcastStatus(job.id);
  for (const event of ['job:queued', 'execution:claimed', 'execution:started', 'execution:finished'] as const) {
    bus.on(event, announce);
  }
  bus.on('job:finished', ({ job }) => server.broadcastStatus(job.id, true));

  const shutdown = (reason: string): Promise<void> => {
    if (stopping !== undefined) {
      logger.warn(`${reason} again: killing running jobs now`);
      queue.forceStop();
      setTimeout(() => process.exit(1), FORCE_EXIT_MS).unref();
      return stopping;
    }
    logger.info(`shutting down (${reason}); ${queue.runningCount} running job(s) will be cancelled`);
    stopping = (async () => {
      retention.stop();
      scheduler.stop();
      await workflowParts.stop();
      await queue.shutdown();
      await actions.drain(); // the ends of the jobs just stopped may have started some
      spawner?.close(); // after the jobs: their exit statuses come through it
      await registry.close().catch((e: unknown) => logger.warn(`closing executors: ${coerceError(e).message}`));
      await server.close();
      await localApi.close();
      turn.commit();
      db.close();
      removeQuietly(paths.socket);
      lock.release();
      logger.info('stopped');
      await logger.close();
      process.exit(0);
    })();
    return stopping;
  };
  try {
    await server.listen(paths.socket);
  } catch (e) {
    logger.error(`cannot listen on ${paths.socket}: ${coerceError(e).message}`);
    lock.release();
    throw e;
  }
  logger.info(`serving: pid ${process.pid}, home ${paths.root}, protocol ${PROTOCOL_VERSION}, version ${daemonVersion}`);
  onStopSignal = (signal) => void shutdown(signal);
  if (heldSignal !== undefined) {
    void shutdown(`${heldSignal} (received while starting)`);
    return true;
  }
  void recover();
  return true;

  /**
   * Recovers lost jobs, then starts claiming. A stop meanwhile does not wait for it (the engine may
   * hold it for a minute): jobs not found again yet stay as they are in the store, for the next start.
   */
  async function recover(): Promise<void> {
    const started = Date.now();
    try {
      await queue.recover();
    } catch (e) {
      // After a stop the store is closed under it: that failure is expected and says nothing.
      if (stopping === undefined) logger.error(`recovering lost jobs failed: ${coerceError(e).stack ?? String(e)}`);
    }
    if (stopping === undefined) workflowParts.recovered();
    recovering = false;
    markRecovered();
    if (stopping !== undefined) return;
    logger.info(`ready: pid ${process.pid}, lost jobs recovered in ${Date.now() - started} ms`);
    // Warm container slots of a daemon that was killed: loading the container executor removes them.
    if (existsSync(paths.warmMarker)) void registry.get('container').available().catch(() => undefined);
    queue.open(); // jobs queued before the last stop, and those submitted while recovering
    scheduler.start();
    workflowParts.start();
    retention.start();
  }
}

type ContainerModule = typeof import('./executors/container/containerExecutor');

/**
 * dist/containerExecutor.js, a bundle of its own (dockerode, gRPC, protobuf: ~1.3 MB of code that
 * would cost every daemon memory at start). Under tsx (tests) the TypeScript module loads directly.
 */
function loadContainerBundle(): ContainerModule {
  const bundled = join(__dirname, 'containerExecutor.js');
  const path = existsSync(bundled) ? bundled : join(__dirname, 'executors', 'container', 'containerExecutor');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path esbuild must not inline
  return require(path) as ContainerModule;
}

type SshModule = typeof import('./executors/ssh/sshExecutor');

/** dist/sshExecutor.js (ssh2), or under tsx the TypeScript module, as {@link loadContainerBundle}. */
function loadSshBundle(): SshModule {
  const bundled = join(__dirname, 'sshExecutor.js');
  const path = existsSync(bundled) ? bundled : join(__dirname, 'executors', 'ssh', 'sshExecutor');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path esbuild must not inline
  return require(path) as SshModule;
}

function installCrashGuards(logger: Logger): void {
  // A request must never take the daemon down: log what escaped and keep serving.
  process.on('uncaughtException', (e) => logger.error(`uncaught: ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => logger.error(`unhandled rejection: ${coerceError(e).stack ?? String(e)}`));
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
