import type { ContainerOptions } from '../executors/executor';
import type { JobErrorDto, JobStatus, Runtime, Target } from '../protocol/dto';
import type { Db } from './database';

/** A job row as the daemon uses it. Times are milliseconds since the epoch. */
export interface JobRecord {
  id: string;
  name: string;
  runtime: Runtime;
  target: Exclude<Target, 'auto'>;
  requestedTarget: Target;
  status: JobStatus;
  script: string;
  scriptName: string | null;
  cwd: string | null;
  envSealed: string | null;
  envKeys: string[];
  timeoutMs: number | null;
  createdAt: number;
  claimedAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  pid: number | null;
  pidStart: string | null;
  lastError: string | null;
  error: JobErrorDto | null;
  logLines: number;
  eventId: string | null;
  /** JSON given to `cronium.input()`. */
  input: unknown;
  /** JSON the job sent with `cronium.output()`; undefined until it does. */
  output: unknown;
  /** What the job set with `setCondition`, or null. */
  condition: boolean | null;
  container: ContainerOptions | null;
  containerId: string | null;
  storedBytes: { stdout: number; stderr: number };
}

export type NewJob = Pick<
  JobRecord,
  | 'id'
  | 'name'
  | 'runtime'
  | 'target'
  | 'requestedTarget'
  | 'script'
  | 'scriptName'
  | 'cwd'
  | 'envSealed'
  | 'envKeys'
  | 'timeoutMs'
  | 'createdAt'
  | 'eventId'
  | 'input'
  | 'container'
>;

/** How a job ended; written once by {@link JobStore.finish}. */
export interface JobOutcome {
  status: JobStatus;
  finishedAt: number;
  exitCode: number | null;
  signal: string | null;
  lastError: string | null;
  error: JobErrorDto | null;
  logLines: number;
}

interface JobRow {
  id: string;
  name: string;
  runtime: string;
  target: string;
  requested_target: string;
  status: string;
  script: string;
  script_name: string | null;
  cwd: string | null;
  env_sealed: string | null;
  env_keys: string;
  timeout_ms: number | null;
  created_at: number;
  claimed_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  exit_code: number | null;
  signal: string | null;
  pid: number | null;
  pid_start: string | null;
  last_error: string | null;
  error_json: string | null;
  log_lines: number;
  event_id: string | null;
  input_json: string | null;
  output_json: string | null;
  condition: number | null;
  container_json: string | null;
  container_id: string | null;
  stdout_bytes: number;
  stderr_bytes: number;
}

const parseJson = (text: string | null): unknown => (text === null ? undefined : (JSON.parse(text) as unknown));

function fromRow(row: JobRow): JobRecord {
  return {
    id: row.id,
    name: row.name,
    runtime: row.runtime as Runtime,
    target: row.target as JobRecord['target'],
    requestedTarget: row.requested_target as Target,
    status: row.status as JobStatus,
    script: row.script,
    scriptName: row.script_name,
    cwd: row.cwd,
    envSealed: row.env_sealed,
    envKeys: JSON.parse(row.env_keys) as string[],
    timeoutMs: row.timeout_ms,
    createdAt: row.created_at,
    claimedAt: row.claimed_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    exitCode: row.exit_code,
    signal: row.signal,
    pid: row.pid,
    pidStart: row.pid_start,
    lastError: row.last_error,
    error: row.error_json === null ? null : (JSON.parse(row.error_json) as JobErrorDto),
    logLines: row.log_lines,
    eventId: row.event_id,
    input: parseJson(row.input_json),
    output: parseJson(row.output_json),
    condition: row.condition === null ? null : row.condition === 1,
    container: (parseJson(row.container_json) as ContainerOptions | undefined) ?? null,
    containerId: row.container_id,
    storedBytes: { stdout: row.stdout_bytes, stderr: row.stderr_bytes },
  };
}

const ACTIVE = "('claimed', 'running')";
const TERMINAL = "('succeeded', 'failed', 'cancelled', 'timed_out', 'partial')";

/** Prepared statements for the `jobs` table. */
export class JobStore {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO jobs (id, name, runtime, target, requested_target, status, script, script_name, cwd,
                           env_sealed, env_keys, timeout_ms, created_at, event_id, input_json, container_json)
         VALUES (@id, @name, @runtime, @target, @requestedTarget, 'queued', @script, @scriptName, @cwd,
                 @envSealed, @envKeys, @timeoutMs, @createdAt, @eventId, @inputJson, @containerJson)`,
      ),
      get: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
      list: db.prepare<[number], JobRow>('SELECT * FROM jobs ORDER BY rowid DESC LIMIT ?'),
      listByStatus: db.prepare<[string, number], JobRow>(
        'SELECT * FROM jobs WHERE status = ? ORDER BY rowid DESC LIMIT ?',
      ),
      // One statement, so a job can never be claimed twice.
      claimNext: db.prepare<[number], JobRow>(
        `UPDATE jobs SET status = 'claimed', claimed_at = ?
         WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY rowid LIMIT 1)
         RETURNING *`,
      ),
      markRunning: db.prepare<[number, number | null, string | null, string | null, string]>(
        `UPDATE jobs SET status = 'running', started_at = ?, pid = ?, pid_start = ?, container_id = ?
         WHERE id = ? AND status = 'claimed'`,
      ),
      progress: db.prepare<[number, number, number, string]>(
        'UPDATE jobs SET log_lines = ?, stdout_bytes = ?, stderr_bytes = ? WHERE id = ?',
      ),
      setOutput: db.prepare<[string, string]>('UPDATE jobs SET output_json = ? WHERE id = ?'),
      setCondition: db.prepare<[number, string]>('UPDATE jobs SET condition = ? WHERE id = ?'),
      finish: db.prepare(
        `UPDATE jobs SET status = @status, finished_at = @finishedAt, exit_code = @exitCode, signal = @signal,
                         last_error = @lastError, error_json = @errorJson, log_lines = @logLines
         WHERE id = @id AND status NOT IN ${TERMINAL}`,
      ),
      active: db.prepare<[], JobRow>(`SELECT * FROM jobs WHERE status IN ${ACTIVE} ORDER BY rowid`),
      countStatus: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM jobs WHERE status = ?'),
    };
  }

  insert(job: NewJob): JobRecord {
    const { input, container, ...rest } = job;
    this.stmts.insert.run({
      ...rest,
      envKeys: JSON.stringify(job.envKeys),
      inputJson: input === undefined ? null : JSON.stringify(input),
      containerJson: container === null ? null : JSON.stringify(container),
    });
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

  /** Atomically moves the oldest queued job to `claimed`. */
  claimNext(now: number): JobRecord | undefined {
    const row = this.stmts.claimNext.get(now);
    return row && fromRow(row);
  }

  markRunning(id: string, startedAt: number, pid: number | null, pidStart: string | null, containerId: string | null): void {
    this.stmts.markRunning.run(startedAt, pid, pidStart, containerId, id);
  }

  /** Lines and per-stream bytes stored so far, written with each log batch. */
  progress(id: string, logLines: number, bytes: { stdout: number; stderr: number }): void {
    this.stmts.progress.run(logLines, bytes.stdout, bytes.stderr, id);
  }

  setOutput(id: string, output: unknown): void {
    this.stmts.setOutput.run(JSON.stringify(output ?? null), id);
  }

  setCondition(id: string, condition: boolean): void {
    this.stmts.setCondition.run(condition ? 1 : 0, id);
  }

  /** Records how a job ended. Returns false when it had already ended (the first outcome wins). */
  finish(id: string, outcome: JobOutcome): boolean {
    const { error, ...rest } = outcome;
    const result = this.stmts.finish.run({ id, ...rest, errorJson: error === null ? null : JSON.stringify(error) });
    return result.changes === 1;
  }

  /** Jobs that were claimed or running: after a crash, these are the ones nobody watches. */
  active(): JobRecord[] {
    return this.stmts.active.all().map(fromRow);
  }

  count(status: JobStatus): number {
    return (this.stmts.countStatus.get(status) as { n: number }).n;
  }
}
