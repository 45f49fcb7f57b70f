import { CroniumError, jobNotFound } from '../errors';
import type { LogHub } from '../logs/logHub';
import { toLogLineDto } from '../logs/logLines';
import type { JobQueue } from '../queue/jobQueue';
import { requestFromParams } from '../queue/requestFromParams';
import type { ExecutionRecord } from '../store/executionRecord';
import { ErrorCodes } from '../protocol/errors';
import {
  CancelJobRequest,
  GetJobRequest,
  ListJobsRequest,
  RerunJobRequest,
  RunJobRequest,
  SubscribeJobsRequest,
  WriteStdinRequest,
  ResizeTerminalRequest,
  type RunJobResult,
} from '../protocol/jobs';
import type { JobDto } from '../protocol/dto';
import { DaemonStatusRequest, ShutdownRequest, type DaemonStatusResult } from '../protocol/lifecycle';
import { ReadLogsRequest, SubscribeLogsRequest, UnsubscribeLogsRequest } from '../protocol/logs';
import { GetSettingsRequest, UpdateSettingsRequest } from '../protocol/settings';
import type { Settings } from '../settings';
import type { JobStore } from '../store/jobStore';
import type { LogStore } from '../store/logStore';
import {
  DeleteVariableRequest,
  GetVariableRequest,
  ListVariablesRequest,
  SetVariableRequest,
} from '../protocol/variables';
import type { Variables } from '../variables';
import type { ClientSession } from './clientSession';
import { registerEventHandlers, type EventHandlerDeps } from './eventHandlers';
import { registerWorkflowHandlers, type WorkflowHandlerDeps } from './workflowHandlers';
import { registerServerHandlers } from './serverHandlers';
import type { Servers } from '../servers/servers';
import {
  deleteVariableSchema,
  emptySchema,
  getJobSchema,
  getVariableSchema,
  listJobsSchema,
  readLogsSchema,
  resizeTerminalSchema,
  runJobSchema,
  setVariableSchema,
  subscribeLogsSchema,
  unsubscribeLogsSchema,
  updateSettingsSchema,
  writeStdinSchema,
} from './schemas';

export interface HandlerDeps extends Omit<EventHandlerDeps, 'queue' | 'jobs'>, WorkflowHandlerDeps {
  queue: JobQueue;
  jobs: JobStore;
  logs: LogStore;
  hub: LogHub;
  settings: Settings;
  variables: Variables;
  /** Applies changed settings (frees slots for a higher concurrency, prunes for a shorter retention). */
  settingsChanged: () => void;
  status: () => DaemonStatusResult;
  requestShutdown: () => void;
  /** Settles once the jobs an earlier daemon left running are recovered (or given up). */
  recovered: Promise<void>;
  servers: Servers;
}

function invalidParams(path: string, message: string): CroniumError {
  return new CroniumError(ErrorCodes.InvalidParams, 'invalid_params', `Invalid params for jobs/run: ${path}: ${message}`, { issues: [{ path, message }] });
}

function runResult(job: JobDto): RunJobResult {
  return job.notice === null ? { job } : { job, notice: job.notice };
}

/** Wires every daemon method to a session. Handlers stay thin: validation happened, logic lives below. */
export function registerHandlers(session: ClientSession, deps: HandlerDeps): void {
  const { queue, jobs, logs, hub } = deps;
  const existingJob = (id: string) => {
    const job = jobs.get(id);
    if (job === undefined) throw jobNotFound(id);
    return job;
  };

  session.handle0(ShutdownRequest, () => {
    // Answer first: the shutdown closes this very connection.
    setImmediate(deps.requestShutdown);
  });
  session.handle0(DaemonStatusRequest, deps.status);
  registerEventHandlers(session, deps);
  registerWorkflowHandlers(session, deps);
  registerServerHandlers(session, deps.servers);

  session.handle(RunJobRequest, runJobSchema, async (params) => {
    const request = requestFromParams(params, jobs);
    if (params.servers !== undefined || params.target === 'ssh') {
      if (params.servers === undefined) throw invalidParams('servers', 'target ssh needs the servers to run on');
      if (params.target !== undefined && params.target !== 'ssh') throw invalidParams('target', `a job on servers runs on target ssh, not ${params.target}`);
      request.target = 'ssh';
      request.servers = deps.servers.resolve(params.servers);
    }
    const job = await queue.submit(
      request,
      params.subscribeLogs ? (queued, execution) => hub.subscribe(session, { jobId: queued.id, executionId: execution.id }, 0) : undefined,
    );
    return runResult(queue.dto(job));
  });
  session.handle(GetJobRequest, getJobSchema, ({ id }) => queue.dto(existingJob(id)));
  session.handle(RerunJobRequest, getJobSchema, async ({ id }) => runResult(queue.dto(await queue.rerun(id))));
  session.handle(ListJobsRequest, listJobsSchema, ({ limit, status }) => ({
    jobs: queue.dtos(jobs.list(limit ?? 50, status)),
  }));
  session.handle(CancelJobRequest, getJobSchema, async ({ id }) => {
    // A job still being found again after a crash is not the queue's to stop yet: wait until it is.
    const { status } = existingJob(id);
    if (status === 'claimed' || status === 'running') await deps.recovered;
    return queue.dto(await queue.cancel(id));
  });
  session.handle(WriteStdinRequest, writeStdinSchema, ({ id, data, eof }) => queue.writeStdin(id, data, eof ?? false));
  session.handle(ResizeTerminalRequest, resizeTerminalSchema, ({ id, columns, rows }) => queue.resizeTerminal(id, { columns, rows }));
  session.handle(SubscribeJobsRequest, emptySchema, () => {
    session.watchesJobs = true;
  });

  /** The execution whose log a call means: the one it names, else the job's latest. */
  const logOf = (jobId: string, executionId: string | undefined): ExecutionRecord => {
    existingJob(jobId);
    const execution = executionId === undefined ? queue.logExecution(jobId) : jobs.executions(jobId).find((e) => e.id === executionId);
    if (execution === undefined) {
      throw new CroniumError(ErrorCodes.JobNotFound, 'execution_not_found', `Job ${jobId} has no execution ${executionId ?? ''}`.trim(), {
        jobId,
        executionId,
      });
    }
    return execution;
  };
  session.handle(ReadLogsRequest, readLogsSchema, ({ jobId, executionId, afterSeq = 0, limit = 1000 }) => {
    const execution = logOf(jobId, executionId);
    const lines = logs.read(execution.id, afterSeq, limit);
    return {
      lines: lines.map(toLogLineDto),
      nextSeq: lines.length > 0 ? lines[lines.length - 1].seq : afterSeq,
      atEnd: lines.length < limit,
    };
  });
  session.handle(SubscribeLogsRequest, subscribeLogsSchema, ({ jobId, executionId, afterSeq }) => {
    const execution = logOf(jobId, executionId);
    hub.subscribe(session, { jobId, executionId: execution.id }, afterSeq);
  });
  session.handle(UnsubscribeLogsRequest, unsubscribeLogsSchema, ({ jobId }) => hub.unsubscribe(session.id, jobId));

  const { variables } = deps;
  session.handle(ListVariablesRequest, emptySchema, () => ({ variables: variables.list() }));
  session.handle(GetVariableRequest, getVariableSchema, ({ key, reveal }) => variables.require(key, reveal ?? false));
  session.handle(SetVariableRequest, setVariableSchema, ({ key, value, secret, description }) =>
    variables.set(key, value, { secret, description }),
  );
  session.handle(DeleteVariableRequest, deleteVariableSchema, ({ key }) => variables.delete(key));

  session.handle0(GetSettingsRequest, () => deps.settings.get());
  session.handle(UpdateSettingsRequest, updateSettingsSchema, (changes) => {
    const updated = deps.settings.update(changes);
    deps.settingsChanged();
    return updated;
  });
}
