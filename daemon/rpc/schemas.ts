import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { JOB_STATUSES, RUNTIMES, TARGETS } from '../protocol/dto';

const DAY_MS = 24 * 60 * 60 * 1000;
const jobId = z.string().regex(/^job_[a-z0-9]{12}$/, 'is not a job id (job_ and 12 letters or digits)');

export const initializeSchema = z.object({
  token: z.string().min(1).max(1024),
  clientName: z.string().min(1).max(200),
  protocolVersion: z.number().int(),
});

export const runJobSchema = z.strictObject({
  content: z.string().max(10 * 1024 * 1024, 'scripts are limited to 10 MiB'),
  fileName: z.string().min(1).max(4096).optional(),
  runtime: z.enum(RUNTIMES).optional(),
  target: z.enum(TARGETS).optional(),
  env: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and _'),
      z.string().max(1024 * 1024),
    )
    .optional(),
  cwd: z.string().refine(isAbsolute, 'must be an absolute path').optional(),
  timeoutMs: z.number().int().positive().max(7 * DAY_MS).optional(),
  name: z.string().min(1).max(200).optional(),
  subscribeLogs: z.boolean().optional(),
});

export const getJobSchema = z.strictObject({ id: jobId });

export const listJobsSchema = z
  .strictObject({
    limit: z.number().int().min(1).max(1000).optional(),
    status: z.enum(JOB_STATUSES).optional(),
  })
  .optional()
  .transform((p) => p ?? {});

export const emptySchema = z
  .strictObject({})
  .optional()
  .transform(() => ({}) as Record<string, never>);

export const readLogsSchema = z.strictObject({
  jobId,
  afterSeq: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});

export const subscribeLogsSchema = z.strictObject({
  jobId,
  afterSeq: z.number().int().min(0).optional(),
});

export const unsubscribeLogsSchema = z.strictObject({ jobId });

export const updateSettingsSchema = z.strictObject({
  concurrency: z.number().int().min(1).max(256).optional(),
  killGraceMs: z.number().int().min(0).max(10 * 60 * 1000).optional(),
  defaultTimeoutMs: z.number().int().min(0).max(7 * DAY_MS).optional(),
});
