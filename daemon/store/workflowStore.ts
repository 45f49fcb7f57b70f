import type { Db } from './database';

/** A workflow as stored: its last valid document (opaque JSON here) and the problems of its file's latest edit. */
export interface WorkflowRecord {
  id: string;
  name: string;
  file: string | null;
  document: unknown;
  problems: unknown[] | null;
  decidedThrough: number | null;
  createdAt: number;
  updatedAt: number;
}

export type RunStatusText = 'running' | 'succeeded' | 'failed' | 'partial' | 'cancelled';
export type StepStatusText = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'skipped';

export interface RunRecord {
  id: string;
  workflowId: string;
  workflowName: string;
  document: unknown;
  status: RunStatusText;
  trigger: 'manual' | 'schedule' | 'webhook';
  input: unknown;
  resumes: number;
  createdAt: number;
  finishedAt: number | null;
}

export interface StepRecord {
  runId: string;
  nodeId: string;
  seq: number;
  status: StepStatusText;
  attempt: number;
  jobId: string | null;
  input: unknown;
  output: unknown;
  condition: boolean | null;
  startedAt: number | null;
  finishedAt: number | null;
  reason: string | null;
}

export interface RunFilter {
  workflowId?: string;
  status?: RunStatusText;
  trigger?: string;
  since?: number;
  until?: number;
  limit: number;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
const parse = (text: string | null): unknown => (text === null ? undefined : (JSON.parse(text) as unknown));

interface WorkflowRow {
  id: string;
  name: string;
  file: string | null;
  document_json: string;
  problems_json: string | null;
  decided_through: number | null;
  created_at: number;
  updated_at: number;
}

interface RunRow {
  id: string;
  workflow_id: string;
  workflow_name: string;
  document_json: string;
  status: RunStatusText;
  trigger: RunRecord['trigger'];
  input_json: string | null;
  resumes: number;
  created_at: number;
  finished_at: number | null;
}

interface StepRow {
  run_id: string;
  node_id: string;
  seq: number;
  status: StepStatusText;
  attempt: number;
  job_id: string | null;
  input_json: string | null;
  output_json: string | null;
  condition: number | null;
  started_at: number | null;
  finished_at: number | null;
  reason: string | null;
}

const workflowFromRow = (row: WorkflowRow): WorkflowRecord => ({
  id: row.id,
  name: row.name,
  file: row.file,
  document: JSON.parse(row.document_json) as unknown,
  problems: row.problems_json === null ? null : (JSON.parse(row.problems_json) as unknown[]),
  decidedThrough: row.decided_through,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const runFromRow = (row: RunRow): RunRecord => ({
  id: row.id,
  workflowId: row.workflow_id,
  workflowName: row.workflow_name,
  document: JSON.parse(row.document_json) as unknown,
  status: row.status,
  trigger: row.trigger,
  input: parse(row.input_json),
  resumes: row.resumes,
  createdAt: row.created_at,
  finishedAt: row.finished_at,
});

const stepFromRow = (row: StepRow): StepRecord => ({
  runId: row.run_id,
  nodeId: row.node_id,
  seq: row.seq,
  status: row.status,
  attempt: row.attempt,
  jobId: row.job_id,
  input: parse(row.input_json),
  output: parse(row.output_json),
  condition: row.condition === null ? null : row.condition === 1,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  reason: row.reason,
});

const stepToRow = (step: StepRecord): StepRow => ({
  run_id: step.runId,
  node_id: step.nodeId,
  seq: step.seq,
  status: step.status,
  attempt: step.attempt,
  job_id: step.jobId,
  input_json: json(step.input),
  output_json: json(step.output),
  condition: step.condition === null ? null : step.condition ? 1 : 0,
  started_at: step.startedAt,
  finished_at: step.finishedAt,
  reason: step.reason,
});

/** Prepared statements for workflows, their runs and steps, their slot ledger and webhook deliveries. */
export class WorkflowStore {
  private readonly stmts;

  constructor(
    db: Db,
    /** Called before each write: the daemon joins it to the turn's transaction (see TurnTransaction). */
    private readonly beforeWrite: () => void = () => undefined,
  ) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO workflows (id, name, file, document_json, problems_json, decided_through, created_at, updated_at)
         VALUES (@id, @name, @file, @document_json, @problems_json, @decided_through, @created_at, @updated_at)`,
      ),
      update: db.prepare(
        `UPDATE workflows SET name = @name, file = @file, document_json = @document_json, problems_json = @problems_json,
         decided_through = @decided_through, updated_at = @updated_at WHERE id = @id`,
      ),
      get: db.prepare<[string], WorkflowRow>('SELECT * FROM workflows WHERE id = ?'),
      byName: db.prepare<[string], WorkflowRow>('SELECT * FROM workflows WHERE name = ?'),
      byFile: db.prepare<[string], WorkflowRow>('SELECT * FROM workflows WHERE file = ?'),
      list: db.prepare<[], WorkflowRow>('SELECT * FROM workflows ORDER BY name'),
      delete: db.prepare<[string]>('DELETE FROM workflows WHERE id = ?'),
      insertRun: db.prepare(
        `INSERT INTO workflow_runs (id, workflow_id, workflow_name, document_json, status, trigger, input_json, resumes, created_at, finished_at)
         VALUES (@id, @workflow_id, @workflow_name, @document_json, @status, @trigger, @input_json, @resumes, @created_at, @finished_at)`,
      ),
      updateRun: db.prepare<[RunStatusText, number, number | null, string]>(
        'UPDATE workflow_runs SET status = ?, resumes = ?, finished_at = ? WHERE id = ?',
      ),
      getRun: db.prepare<[string], RunRow>('SELECT * FROM workflow_runs WHERE id = ?'),
      activeRuns: db.prepare<[], RunRow>("SELECT * FROM workflow_runs WHERE status = 'running' ORDER BY rowid"),
      activeRunsOf: db.prepare<[string], { id: string }>("SELECT id FROM workflow_runs WHERE workflow_id = ? AND status = 'running'"),
      history: db.prepare<[Record<string, string | number | null>], RunRow>(
        `SELECT * FROM workflow_runs
         WHERE (@workflowId IS NULL OR workflow_id = @workflowId) AND (@status IS NULL OR status = @status)
           AND (@trigger IS NULL OR trigger = @trigger) AND (@since IS NULL OR created_at >= @since)
           AND (@until IS NULL OR created_at <= @until)
         ORDER BY created_at DESC, rowid DESC LIMIT @limit`,
      ),
      upsertStep: db.prepare(
        `INSERT INTO workflow_steps (run_id, node_id, seq, status, attempt, job_id, input_json, output_json, condition, started_at, finished_at, reason)
         VALUES (@run_id, @node_id, @seq, @status, @attempt, @job_id, @input_json, @output_json, @condition, @started_at, @finished_at, @reason)
         ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt, job_id = excluded.job_id,
           input_json = excluded.input_json, output_json = excluded.output_json, condition = excluded.condition,
           started_at = excluded.started_at, finished_at = excluded.finished_at, reason = excluded.reason`,
      ),
      steps: db.prepare<[string], StepRow>('SELECT * FROM workflow_steps WHERE run_id = ? ORDER BY seq'),
      stepsOfMany: db.prepare<[string], StepRow>('SELECT * FROM workflow_steps WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY seq'),
      recordSlot: db.prepare(
        `INSERT INTO workflow_slots (workflow_id, scheduled_for, decided_at, decision, run_id, reason)
         VALUES (@workflowId, @scheduledFor, @decidedAt, @decision, @runId, @reason) ON CONFLICT (workflow_id, scheduled_for) DO NOTHING`,
      ),
      settleSlot: db.prepare<[string, string | null, string | null, string, number]>(
        'UPDATE workflow_slots SET decision = ?, run_id = ?, reason = coalesce(?, reason) WHERE workflow_id = ? AND scheduled_for = ?',
      ),
      firingSlots: db.prepare<[], { workflow_id: string; scheduled_for: number }>(
        "SELECT workflow_id, scheduled_for FROM workflow_slots WHERE decision = 'firing'",
      ),
      decide: db.prepare<[number, string, number]>(
        'UPDATE workflows SET decided_through = ? WHERE id = ? AND (decided_through IS NULL OR decided_through < ?)',
      ),
      delivery: db.prepare<[string, string, number]>(
        'INSERT INTO webhook_deliveries (signature, workflow_id, received_at) VALUES (?, ?, ?) ON CONFLICT (signature) DO NOTHING',
      ),
      pruneDeliveries: db.prepare<[number]>('DELETE FROM webhook_deliveries WHERE received_at < ?'),
    };
  }

  insert(record: WorkflowRecord): void {
    this.beforeWrite();
    this.stmts.insert.run(this.row(record));
  }

  update(record: WorkflowRecord): void {
    this.beforeWrite();
    this.stmts.update.run(this.row(record));
  }

  get(id: string): WorkflowRecord | undefined {
    const row = this.stmts.get.get(id);
    return row && workflowFromRow(row);
  }

  /** By id, else by name. */
  find(ref: string): WorkflowRecord | undefined {
    const row = this.stmts.get.get(ref) ?? this.stmts.byName.get(ref);
    return row && workflowFromRow(row);
  }

  byFile(file: string): WorkflowRecord | undefined {
    const row = this.stmts.byFile.get(file);
    return row && workflowFromRow(row);
  }

  list(): WorkflowRecord[] {
    return this.stmts.list.all().map(workflowFromRow);
  }

  delete(id: string): void {
    this.beforeWrite();
    this.stmts.delete.run(id);
  }

  insertRun(run: RunRecord, steps: readonly StepRecord[]): void {
    this.beforeWrite();
    this.stmts.insertRun.run({
      id: run.id,
      workflow_id: run.workflowId,
      workflow_name: run.workflowName,
      document_json: JSON.stringify(run.document),
      status: run.status,
      trigger: run.trigger,
      input_json: json(run.input),
      resumes: run.resumes,
      created_at: run.createdAt,
      finished_at: run.finishedAt,
    });
    for (const step of steps) this.stmts.upsertStep.run(stepToRow(step));
  }

  updateRun(run: Pick<RunRecord, 'id' | 'status' | 'resumes' | 'finishedAt'>): void {
    this.beforeWrite();
    this.stmts.updateRun.run(run.status, run.resumes, run.finishedAt, run.id);
  }

  saveStep(step: StepRecord): void {
    this.beforeWrite();
    this.stmts.upsertStep.run(stepToRow(step));
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.stmts.getRun.get(id);
    return row && runFromRow(row);
  }

  /** Runs recorded `running`: after a restart, the engine takes them up again. */
  activeRuns(): RunRecord[] {
    return this.stmts.activeRuns.all().map(runFromRow);
  }

  activeRunIds(workflowId: string): string[] {
    return this.stmts.activeRunsOf.all(workflowId).map((r) => r.id);
  }

  history(filter: RunFilter): RunRecord[] {
    const { workflowId, status, trigger, since, until, limit } = filter;
    const params = { workflowId: workflowId ?? null, status: status ?? null, trigger: trigger ?? null, since: since ?? null, until: until ?? null, limit };
    return this.stmts.history.all(params).map(runFromRow);
  }

  steps(runId: string): StepRecord[] {
    return this.stmts.steps.all(runId).map(stepFromRow);
  }

  stepsOfRuns(runIds: readonly string[]): Map<string, StepRecord[]> {
    const byRun = new Map<string, StepRecord[]>(runIds.map((id) => [id, []]));
    if (runIds.length === 0) return byRun;
    for (const row of this.stmts.stepsOfMany.all(JSON.stringify(runIds))) byRun.get(row.run_id)?.push(stepFromRow(row));
    return byRun;
  }

  /** Writes a slot into the ledger; false when it was there already (it never fires twice). */
  recordSlot(slot: { workflowId: string; scheduledFor: number; decidedAt: number; decision: string; runId: string | null; reason: string | null }): boolean {
    this.beforeWrite();
    return this.stmts.recordSlot.run(slot).changes === 1;
  }

  settleSlot(workflowId: string, scheduledFor: number, decision: 'fired' | 'failed' | 'skipped', runId: string | null, reason: string | null = null): void {
    this.beforeWrite();
    this.stmts.settleSlot.run(decision, runId, reason, workflowId, scheduledFor);
  }

  firingSlots(): { workflowId: string; scheduledFor: number }[] {
    return this.stmts.firingSlots.all().map((r) => ({ workflowId: r.workflow_id, scheduledFor: r.scheduled_for }));
  }

  decideThrough(id: string, through: number): void {
    this.beforeWrite();
    this.stmts.decide.run(through, id, through);
  }

  /** Records a webhook delivery's signature; false when it was seen before (a replay). */
  recordDelivery(signature: string, workflowId: string, at: number, forgetBefore: number): boolean {
    this.beforeWrite();
    this.stmts.pruneDeliveries.run(forgetBefore);
    return this.stmts.delivery.run(signature, workflowId, at).changes === 1;
  }

  private row(record: WorkflowRecord): WorkflowRow {
    return {
      id: record.id,
      name: record.name,
      file: record.file,
      document_json: JSON.stringify(record.document),
      problems_json: record.problems === null ? null : JSON.stringify(record.problems),
      decided_through: record.decidedThrough,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
    };
  }
}
