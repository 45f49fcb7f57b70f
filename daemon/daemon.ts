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
import { LogHub } from './logs/logHub';
import { Redactor } from './logs/redactor';
import type { DaemonStatusResult } from './protocol/lifecycle';
import { PROTOCOL_VERSION } from './protocol/version';
import { JobQueue } from './queue/jobQueue';
import { LogRetention } from './queue/logRetention';
import { RpcServer } from './rpc/server';
import { ExecutionTokens } from './runtimeApi/executionTokens';
import { LocalRuntimeListener } from './runtimeApi/localListener';
import { RateLimiter } from './runtimeApi/rateLimiter';
import { createRuntimeApiHandler } from './runtimeApi/runtimeApiHandler';
import { SecretBox } from './secrets/secretBox';
import { imageFor, Settings } from './settings';
import { openDatabase } from './store/database';
import { JobStore } from './store/jobStore';
import { LogStore } from './store/logStore';
import { RetentionStore } from './store/retentionStore';
import { SettingsStore } from './store/settingsStore';
import { VariableStore } from './store/variableStore';
import { ensureToken } from './token';
import { Variables } from './variables';

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
  const jobs = new JobStore(db);
  const logs = new LogStore(db);
  const settings = new Settings(new SettingsStore(db));
  const secrets = SecretBox.open(paths.masterKey);
  const redactor = new Redactor();
  const variables = new Variables(new VariableStore(db), secrets, redactor);
  const tokens = new ExecutionTokens(secrets.deriveKey('execution-tokens'));
  const runtimeApi = createRuntimeApiHandler({
    tokens,
    jobs,
    variables,
    limiter: new RateLimiter(RATE_PER_MINUTE, RATE_BURST),
    onError: (m) => logger.error(m),
  });
  const localApi = new LocalRuntimeListener(runtimeApi);
  await localApi.listen();

  const registry = new ExecutorRegistry();
  const spawner = createSpawner(paths.spawnerSocket, (m) => logger.warn(m));
  registry.register(
    new LocalProcessExecutor({
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
      // Containers or networks a crashed daemon left behind with no job to recover: remove them.
      (executor) => void executor.recover?.([], () => ({ onStarted: () => undefined, onOutput: () => undefined })).catch(() => undefined),
    ),
  );

  // The hub asks the queue where a job's log stands; the queue hands lines to the hub.
  const hub: LogHub = new LogHub(logs, (id) => queue.logState(id));
  const queue: JobQueue = new JobQueue({
    jobs,
    logs,
    hub: () => hub,
    registry,
    secrets,
    tokens,
    redactor,
    settings: () => settings.get(),
    workDir: paths.workDir,
    logger,
  });
  await queue.recover();
  // Warm container slots of a daemon that was killed: loading the container executor removes them.
  if (existsSync(paths.warmMarker)) void registry.get('container').available().catch(() => undefined);
  const retention = new LogRetention(new RetentionStore(db), () => settings.get(), logger);

  let stopping: Promise<void> | undefined;
  const status = (): DaemonStatusResult => ({
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
    },
    status,
    requestShutdown: () => void shutdown('lifecycle/shutdown'),
    initializeResult: () => ({ daemonVersion, protocolVersion: PROTOCOL_VERSION, pid: process.pid, home: paths.root }),
  });
  queue.onStatus((id) =>
    server.broadcastStatus(id, () => {
      const job = jobs.get(id);
      return job && queue.dto(job);
    }),
  );

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
      await queue.shutdown();
      spawner?.close(); // after the jobs: their exit statuses come through it
      await registry.close().catch((e: unknown) => logger.warn(`closing executors: ${coerceError(e).message}`));
      await server.close();
      await localApi.close();
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
  logger.info(`ready: pid ${process.pid}, home ${paths.root}, protocol ${PROTOCOL_VERSION}, version ${daemonVersion}`);
  onStopSignal = (signal) => void shutdown(signal);
  if (heldSignal !== undefined) {
    void shutdown(`${heldSignal} (received while starting)`);
    return true;
  }
  queue.pump(); // jobs queued before the last stop
  retention.start();
  return true;
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
