import type { JobSource, JobStatus, Runtime, Target } from '../protocol/dto';
import type { Db } from './database';
import { executionFromRow, type ExecutionRecord, type ExecutionRow, type NewExecution } from './executionRecord';
import { deriveJobStatus } from './jobStatus';

/** A job row as the daemon uses it: what was asked for. Times are milliseconds since the epoch. */
export interface JobRecord {
  id: string;
  name: string;
  runtime: Runtime;
  requestedTarget: Target;
  /** Derived from the executions; stored so lists filter and sort in SQL. */
  status: JobStatus;
  script: string;
  scriptName: string | null;
  /** SHA-256 of `script`, hex; null for jobs stored before it was kept. */
  scriptSha256: string | null;
  cwd: string | null;
  envSealed: string | null;
  envKeys: string[];
  timeoutMs: number | null;
  createdAt: number;
  /** First execution's start and, once every execution ended, the last one's end. */
  startedAt: number | null;
  finishedAt: number | null;
  source: JobSource;
  eventId: string | null;
  workflowRunId: string | null;
  workflowStepId: string | null;
  /** The schedule slot or trigger time that made the job, if any. */
  triggeredAt: number | null;
  /** JSON given to `cronium.input()`. */
  input: unknown;
  /** What the request asked of its target (limits, network, image); each executor reads it its own way. */
  targetOptions: Record<string, unknown>;
  /** Run a failed execution again: up to `count` more attempts, backing off from `backoffMs`. */
  retries: RetryPolicy | null;
}

export interface RetryPolicy {
  count: number;
  backoffMs: number;
  /** The outcomes that are retried. */
  on: JobStatus[];
}

export type NewJob = Omit<JobRecord, 'status' | 'startedAt' | 'finishedAt'>;

interface JobRow {
  id: string;
  name: string;
  runtime: string;
  requested_target: string;
  status: string;
  script: string;
  script_name: string | null;
  script_sha256: string | null;
  cwd: string | null;
  env_sealed: string | null;
  env_keys: string;
  timeout_ms: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  source: string;
  event_id: string | null;
  workflow_run_id: string | null;
  workflow_step_id: string | null;
  triggered_at: number | null;
  input_json: string | null;
  target_options_json: string | null;
  retries_json: string | null;
}

function fromRow(row: JobRow): JobRecord {
  return {
    id: row.id,
    name: row.name,
    runtime: row.runtime as Runtime,
    requestedTarget: row.requested_target as Target,
    status: row.status as JobStatus,
    script: row.script,
    scriptName: row.script_name,
    scriptSha256: row.script_sha256,
    cwd: row.cwd,
    envSealed: row.env_sealed,
    envKeys: JSON.parse(row.env_keys) as string[],
    timeoutMs: row.timeout_ms,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    source: row.source as JobSource,
    eventId: row.event_id,
    workflowRunId: row.workflow_run_id,
    workflowStepId: row.workflow_step_id,
    triggeredAt: row.triggered_at,
    input: row.input_json === null ? undefined : (JSON.parse(row.input_json) as unknown),
    targetOptions: row.target_options_json === null ? {} : (JSON.parse(row.target_options_json) as Record<string, unknown>),
    retries: row.retries_json === null ? null : (JSON.parse(row.retries_json) as RetryPolicy),
  };
}

/** Prepared statements for the `jobs` table; a job is written with its first executions in one step. */
export class JobStore {
  private readonly stmts;
  private readonly insertTx: (job: NewJob, executions: readonly NewExecution[]) => void;

  constructor(
    db: Db,
    private readonly insertExecution: (execution: NewExecution) => void,
    /** Called before each write: the daemon joins it to the turn's transaction (see TurnTransaction). */
    private readonly beforeWrite: () => void = () => undefined,
  ) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO jobs (id, name, runtime, requested_target, status, script, script_name, script_sha256, cwd, env_sealed, env_keys,
                           timeout_ms, created_at, source, event_id, workflow_run_id, workflow_step_id, triggered_at,
                           input_json, target_options_json, retries_json)
         VALUES (@id, @name, @runtime, @requestedTarget, 'queued', @script, @scriptName, @scriptSha256, @cwd, @envSealed, @envKeys,
                 @timeoutMs, @createdAt, @source, @eventId, @workflowRunId, @workflowStepId, @triggeredAt,
                 @inputJson, @targetOptionsJson, @retriesJson)`,
      ),
      get: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
      list: db.prepare<[number], JobRow>('SELECT * FROM jobs ORDER BY rowid DESC LIMIT ?'),
      listByStatus: db.prepare<[string, number], JobRow>('SELECT * FROM jobs WHERE status = ? ORDER BY rowid DESC LIMIT ?'),
      executionsOf: db.prepare<[string], ExecutionRow>('SELECT * FROM executions WHERE job_id = ? ORDER BY rowid'),
      // The executions of a page of jobs in one query (json_each: one prepared statement for any page size).
      executionsOfMany: db.prepare<[string], ExecutionRow>(
        'SELECT * FROM executions WHERE job_id IN (SELECT value FROM json_each(?)) ORDER BY rowid',
      ),
      statusParts: db.prepare<[string], { status: string; server_id: string | null; attempt: number; started_at: number | null; finished_at: number | null }>(
        'SELECT status, server_id, attempt, started_at, finished_at FROM executions WHERE job_id = ?',
      ),
      setSummary: db.prepare<[string, number | null, number | null, string]>(
        'UPDATE jobs SET status = ?, started_at = ?, finished_at = ? WHERE id = ?',
      ),
      // Most jobs have one execution: their summary is that execution's, in one statement.
      copySingle: db.prepare<[string, string]>(
        `UPDATE jobs SET (status, started_at, finished_at) = (SELECT status, started_at, finished_at FROM executions WHERE job_id = ?)
         WHERE id = ? AND (SELECT count(*) FROM executions WHERE job_id = jobs.id) = 1`,
      ),
      countStatus: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM jobs WHERE status = ?'),
    };
    this.insertTx = db.transaction((job: NewJob, executions: readonly NewExecution[]) => {
      const { input, targetOptions, envKeys, retries, ...rest } = job;
      this.stmts.insert.run({
        ...rest,
        envKeys: JSON.stringify(envKeys),
        inputJson: input === undefined ? null : JSON.stringify(input),
        targetOptionsJson: Object.keys(targetOptions).length === 0 ? null : JSON.stringify(targetOptions),
        retriesJson: retries === null ? null : JSON.stringify(retries),
      });
      for (const execution of executions) this.insertExecution(execution);
    });
  }

  /** Stores a job and its first executions together: a job is never seen without them. */
  insert(job: NewJob, executions: readonly NewExecution[]): JobRecord {
    this.beforeWrite();
    this.insertTx(job, executions);
    return this.get(job.id) as JobRecord;
  }

  get(id: string): JobRecord | undefined {
    const row = this.stmts.get.get(id);
    return row && fromRow(row);
  }

  list(limit: number, status?: JobStatus): JobRecord[] {
    const rows = status ? this.stmts.listByStatus.all(status, limit) : this.stmts.list.all(limit);
    return rows.map(fromRow);
  }

  executions(jobId: string): ExecutionRecord[] {
    return this.stmts.executionsOf.all(jobId).map(executionFromRow);
  }

  /** The executions of each of `jobIds`, oldest first. */
  executionsOfJobs(jobIds: readonly string[]): Map<string, ExecutionRecord[]> {
    const byJob = new Map<string, ExecutionRecord[]>(jobIds.map((id) => [id, []]));
    if (jobIds.length === 0) return byJob;
    for (const row of this.stmts.executionsOfMany.all(JSON.stringify(jobIds))) byJob.get(row.job_id)?.push(executionFromRow(row));
    return byJob;
  }

  /** Derives the job's status, start and end from its executions again (inside the caller's transaction). */
  refreshSummary(jobId: string): void {
    if (this.stmts.copySingle.run(jobId, jobId).changes === 1) return;
    const parts = this.stmts.statusParts.all(jobId);
    const status = deriveJobStatus(parts.map((p) => ({ status: p.status as JobStatus, serverId: p.server_id, attempt: p.attempt })));
    const starts = parts.map((p) => p.started_at).filter((t): t is number => t !== null);
    const ends = parts.map((p) => p.finished_at).filter((t): t is number => t !== null);
    const ended = parts.length > 0 && parts.every((p) => p.finished_at !== null);
    this.stmts.setSummary.run(status, starts.length > 0 ? Math.min(...starts) : null, ended ? Math.max(...ends) : null, jobId);
  }


  count(status: JobStatus): number {
    return (this.stmts.countStatus.get(status) as { n: number }).n;
  }
}
