import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { CroniumError, errnoCode } from '../errors';
import type { Logger } from '../logger';
import { ErrorCodes } from '../protocol/errors';
import type { RunTrigger, ValidateWorkflowResult, WorkflowDocument, WorkflowDto, WorkflowIssue } from '../protocol/workflows';
import { describeSchedule, nextSlots, parseSchedule, ScheduleError, type Schedule } from '../scheduler/schedule';
import type { RunRecord, WorkflowRecord, WorkflowStore } from '../store/workflowStore';
import type { WorkflowEngine } from './engine';
import { FileWatches } from './fileWatches';
import { canonicalWorkflow, formatWorkflow, parseWorkflow, parseWorkflowText } from './model';
import { validateWorkflow, type ValidationContext } from './validate';
import { workflowInvalid, workflowNotFound } from './workflowErrors';

const NEXT_RUNS_SHOWN = 5;

export interface WorkflowsDeps {
  store: WorkflowStore;
  engine: WorkflowEngine;
  /** The script of a saved event by name (null: it runs a file or a request), undefined when there is none. */
  eventScript: ValidationContext['eventScript'];
  /** The URL of a webhook key on the daemon's listener, or null when it does not listen. */
  webhookUrl: (key: string) => string | null;
  logger: Logger;
  /** A workflow was registered, changed (on disk too) or deleted. */
  changed: (workflow: WorkflowRecord, deleted?: boolean) => void;
  now?: () => number;
}

/** A checked document: valid when `errors` is empty. */
export interface Checked {
  document: WorkflowDocument | null;
  errors: WorkflowIssue[];
  warnings: WorkflowIssue[];
}

function newWorkflowId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = 'wf_';
  for (const b of randomBytes(12)) id += alphabet[b % alphabet.length];
  return id;
}

/** The schedule of a workflow's trigger, anchored at its creation (an `every` keeps its rhythm across edits). */
export function workflowSchedule(document: WorkflowDocument, anchorMs: number): Schedule {
  const given = document.triggers?.schedule;
  if (given === undefined) return { kind: 'manual' };
  return parseSchedule({ cron: given.cron, timezone: given.timezone, every: given.every }, anchorMs);
}

/**
 * Workflows and their files: a file the daemon is told about is validated, stored (its last valid
 * version) and watched; an edit that is invalid is reported with its reasons while the last valid
 * version keeps running and keeps its schedule. Runs go to the engine, only for valid documents.
 */
export class Workflows {
  private readonly now: () => number;
  private readonly watches: FileWatches;

  constructor(private readonly deps: WorkflowsDeps) {
    this.now = deps.now ?? Date.now;
    this.watches = new FileWatches((file) => this.reload(file), (m) => deps.logger.warn(m));
    for (const workflow of deps.store.list()) if (workflow.file !== null) this.watches.add(workflow.file);
  }

  /** Reads every registered file again (at start: it may have been edited while the daemon was down). */
  start(): void {
    for (const workflow of this.deps.store.list()) if (workflow.file !== null) this.reload(workflow.file);
  }

  close(): void {
    this.watches.close();
  }

  /** The format, then the graph: every error and warning, each naming its nodes. */
  check(value: unknown): Checked {
    const parsed = parseWorkflow(value);
    if (!parsed.ok) return { document: null, errors: parsed.issues, warnings: [] };
    return this.checkDocument(parsed.document);
  }

  checkText(text: string): Checked {
    const parsed = parseWorkflowText(text);
    if (!parsed.ok) return { document: null, errors: parsed.issues, warnings: [] };
    return this.checkDocument(parsed.document);
  }

  validate(params: { path?: string; document?: unknown }): ValidateWorkflowResult {
    const checked = params.document !== undefined ? this.check(params.document) : this.checkText(this.read(params.path as string));
    return { valid: checked.errors.length === 0, name: checked.document?.name ?? null, errors: checked.errors, warnings: checked.warnings };
  }

  list(): WorkflowRecord[] {
    return this.deps.store.list();
  }

  find(ref: string): WorkflowRecord {
    const found = this.deps.store.find(ref) ?? (isAbsolute(ref) ? this.deps.store.byFile(ref) : undefined);
    if (found === undefined) throw workflowNotFound(ref);
    return found;
  }

  /** A workflow by name or id, or by its file (registered, or read again, on the way). */
  resolve(ref: { workflow?: string; path?: string }): WorkflowRecord {
    if (ref.path !== undefined) return this.register(ref.path);
    if (ref.workflow === undefined) throw new CroniumError(ErrorCodes.InvalidParams, 'invalid_params', 'Name a workflow or give the path of its file');
    return this.find(ref.workflow);
  }

  /**
   * Reads, validates and stores a file's workflow, and watches the file from now on. An invalid file
   * is refused with its reasons (and still watched: once fixed it is taken).
   */
  register(file: string): WorkflowRecord {
    this.watches.add(file);
    const checked = this.checkText(this.read(file));
    const existing = this.deps.store.byFile(file);
    if (checked.document === null || checked.errors.length > 0) {
      if (existing !== undefined) this.setProblems(existing, checked.errors);
      throw workflowInvalid(file, checked.errors);
    }
    return this.store(checked.document, file, existing);
  }

  unregister(file: string): boolean {
    const had = this.watches.remove(file);
    const existing = this.deps.store.byFile(file);
    if (existing !== undefined) {
      this.deps.store.update({ ...existing, file: null, problems: null, updatedAt: this.now() });
      this.deps.changed(this.deps.store.get(existing.id) as WorkflowRecord);
    }
    return had || existing !== undefined;
  }

  /** Saves a document made elsewhere (the builder); with a path, writes it there in canonical form. */
  save(value: unknown, file?: string): WorkflowRecord {
    const checked = this.check(value);
    if (checked.document === null || checked.errors.length > 0) throw workflowInvalid('The workflow', checked.errors);
    const existing = file === undefined ? undefined : this.deps.store.byFile(file);
    if (file !== undefined) {
      writeFileSync(file, formatWorkflow(checked.document));
      this.watches.add(file);
    }
    return this.store(checked.document, file ?? null, existing);
  }

  /** The workflow's file text; written to `file` (which then becomes its file) when given. */
  export(ref: string, file?: string): { text: string; path: string | null } {
    const workflow = this.find(ref);
    const text = formatWorkflow(workflow.document as WorkflowDocument);
    if (file === undefined) return { text, path: null };
    writeFileSync(file, text);
    if (workflow.file !== file && this.deps.store.byFile(file) === undefined) {
      this.deps.store.update({ ...workflow, file, updatedAt: this.now() });
      this.watches.add(file);
    }
    return { text, path: file };
  }

  delete(ref: string): void {
    const workflow = this.find(ref);
    const running = this.deps.store.activeRunIds(workflow.id);
    if (running.length > 0) {
      throw new CroniumError(ErrorCodes.WorkflowBusy, 'workflow_busy', `Workflow ${workflow.name} is running (${running.join(', ')}); cancel its runs first`, {
        workflow: workflow.name,
        run: running[0],
      });
    }
    if (workflow.file !== null) this.watches.remove(workflow.file);
    this.deps.store.delete(workflow.id);
    this.deps.changed(workflow, true);
  }

  /**
   * Starts a run of the workflow's last valid version, checked again first (an event it names may
   * have been deleted since): an invalid workflow never starts. A file given by path must be valid as
   * it is now.
   */
  run(workflow: WorkflowRecord, trigger: RunTrigger, input: unknown): RunRecord {
    if (workflow.problems !== null && workflow.problems.length > 0 && trigger === 'manual' && workflow.file !== null) {
      throw workflowInvalid(workflow.file, workflow.problems as WorkflowIssue[]);
    }
    const checked = this.checkDocument(workflow.document as WorkflowDocument);
    if (checked.document === null || checked.errors.length > 0) throw workflowInvalid(`Workflow ${workflow.name}`, checked.errors);
    return this.deps.engine.start(workflow, checked.document, trigger, input);
  }

  dto(workflow: WorkflowRecord): WorkflowDto {
    const document = workflow.document as WorkflowDocument;
    const checked = this.checkDocument(document);
    let scheduleText: string | null = null;
    let nextRuns: string[] = [];
    try {
      const schedule = workflowSchedule(document, workflow.createdAt);
      if (schedule.kind !== 'manual') {
        scheduleText = describeSchedule(schedule);
        const from = Math.max(this.now(), workflow.decidedThrough ?? workflow.createdAt);
        nextRuns = nextSlots(schedule, from, NEXT_RUNS_SHOWN).map((ms) => new Date(ms).toISOString());
      }
    } catch {
      // reported by the check
    }
    const key = document.triggers?.webhook?.key;
    return {
      id: workflow.id,
      name: workflow.name,
      file: workflow.file,
      document,
      warnings: checked.warnings,
      problems: (workflow.problems ?? []) as WorkflowIssue[],
      scheduleText,
      nextRuns,
      webhookUrl: key === undefined ? null : this.deps.webhookUrl(key),
      updatedAt: new Date(workflow.updatedAt).toISOString(),
    };
  }

  /** The webhook trigger with this key, among the workflows whose last valid version has one. */
  byWebhookKey(key: string): WorkflowRecord | undefined {
    return this.list().find((w) => (w.document as WorkflowDocument).triggers?.webhook?.key === key);
  }

  /** The file changed on disk (fs.watch): take a valid edit, report an invalid one and keep the last valid version. */
  private reload(file: string): void {
    const existing = this.deps.store.byFile(file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (existing !== undefined && errnoCode(e) === 'ENOENT') {
        this.setProblems(existing, [{ severity: 'error', code: 'unreadable', message: `${file} was removed; the last valid version stays`, nodes: [] }]);
      }
      return;
    }
    const checked = this.checkText(text);
    if (checked.document === null || checked.errors.length > 0) {
      this.deps.logger.warn(`workflow file ${file} is invalid, keeping its last valid version: ${checked.errors.map((e) => e.message).join('; ')}`);
      if (existing !== undefined) this.setProblems(existing, checked.errors);
      return;
    }
    try {
      this.store(checked.document, file, existing);
    } catch (e) {
      // E.g. the edit took the name of another workflow.
      const message = e instanceof Error ? e.message : String(e);
      if (existing !== undefined) this.setProblems(existing, [{ severity: 'error', code: 'schema', message, nodes: [] }]);
    }
  }

  private checkDocument(document: WorkflowDocument): Checked {
    const { errors, warnings } = validateWorkflow(document, { eventScript: this.deps.eventScript });
    try {
      workflowSchedule(document, this.now());
    } catch (e) {
      if (!(e instanceof ScheduleError)) throw e;
      errors.push({ severity: 'error', code: 'schedule', message: `triggers.schedule: ${e.message}`, nodes: [], path: 'triggers.schedule' });
    }
    return { document, errors, warnings };
  }

  private store(document: WorkflowDocument, file: string | null, existing: WorkflowRecord | undefined): WorkflowRecord {
    const canonical = canonicalWorkflow(document);
    const named = this.deps.store.find(canonical.name);
    const current = existing ?? (named !== undefined && (named.file === null || named.file === file) ? named : undefined);
    if (named !== undefined && named.id !== current?.id) {
      throw new CroniumError(ErrorCodes.InvalidParams, 'invalid_params', `A workflow named ${canonical.name} exists already${named.file ? ` (${named.file})` : ''}; rename one of them`);
    }
    const now = this.now();
    if (current === undefined) {
      const record: WorkflowRecord = { id: newWorkflowId(), name: canonical.name, file, document: canonical, problems: null, decidedThrough: now, createdAt: now, updatedAt: now };
      this.deps.store.insert(record);
      this.deps.changed(record);
      return record;
    }
    const same = JSON.stringify(current.document) === JSON.stringify(canonical) && current.file === file && current.problems === null;
    if (same) return current;
    const scheduleChanged = JSON.stringify((current.document as WorkflowDocument).triggers?.schedule) !== JSON.stringify(canonical.triggers?.schedule);
    const record: WorkflowRecord = {
      ...current,
      name: canonical.name,
      file,
      document: canonical,
      problems: null,
      // A new schedule starts from now: slots of the old one are not caught up under the new one.
      decidedThrough: scheduleChanged ? now : current.decidedThrough,
      updatedAt: now,
    };
    this.deps.store.update(record);
    this.deps.changed(record);
    return record;
  }

  private setProblems(workflow: WorkflowRecord, problems: WorkflowIssue[]): void {
    const record = { ...workflow, problems, updatedAt: this.now() };
    this.deps.store.update(record);
    this.deps.changed(record);
  }

  private read(file: string): string {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new CroniumError(ErrorCodes.InvalidParams, 'invalid_params', `Cannot read ${file}: ${errnoCode(e) ?? (e as Error).message}`, {
        issues: [{ path: 'path', message: `cannot read ${file}` }],
      });
    }
  }
}
