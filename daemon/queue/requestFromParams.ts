import { basename } from 'node:path';
import { CroniumError, jobNotFound } from '../errors';
import { detectRuntime } from '../executors/runtimes';
import { RUNTIMES } from '../protocol/dto';
import { ErrorCodes } from '../protocol/errors';
import type { RunJobParams } from '../protocol/jobs';
import type { JobStore } from '../store/jobStore';
import type { JobRequest } from './jobRequest';
import { primaryExecution } from './jobDto';

const DEFAULT_TERMINAL = { columns: 80, rows: 24 };

/** Turns `jobs/run` params into the queue's one kind of request (runtime decided, input resolved). */
export function requestFromParams(params: RunJobParams, jobs: JobStore): JobRequest {
  const runtime = detectRuntime({ explicit: params.runtime, fileName: params.fileName, content: params.content });
  if (runtime === undefined) {
    throw new CroniumError(
      ErrorCodes.RuntimeUnavailable,
      'runtime_unavailable',
      `Cannot tell the runtime of ${params.fileName ?? 'this script'} from its file name or its first line`,
      { hint: { action: 'name_runtime', runtimes: [...RUNTIMES] } },
    );
  }
  return {
    source: 'manual',
    script: params.content,
    scriptName: params.fileName ?? null,
    runtime,
    target: params.target ?? 'auto',
    targetOptions: {
      ...(params.network === undefined ? {} : { network: params.network }),
      ...(params.limits === undefined ? {} : { limits: params.limits }),
      ...(params.image === undefined ? {} : { image: params.image }),
    },
    name: params.name ?? (params.fileName ? basename(params.fileName) : `${runtime} script`),
    env: params.env ?? {},
    cwd: params.cwd ?? null,
    timeoutMs: params.timeoutMs ?? null,
    input: params.inputFromJob === undefined ? params.input : outputOf(params.inputFromJob, jobs),
    eventId: null,
    workflowRunId: null,
    workflowStepId: null,
    attempt: 1,
    triggeredAt: null,
    terminal: params.interactive ? (params.terminalSize ?? DEFAULT_TERMINAL) : null,
    retries: null,
  };
}

/** What a finished job sent with `cronium.output()` (its latest execution's), as the next one's input. */
function outputOf(jobId: string, jobs: JobStore): unknown {
  if (jobs.get(jobId) === undefined) throw jobNotFound(jobId);
  return primaryExecution(jobs.executions(jobId))?.output ?? null;
}
