// zod/mini, as in schemas.ts (which also sets the English messages for every schema).
import { isAbsolute, resolve } from 'node:path';
import * as z from 'zod/mini';
import {
  CancelWorkflowRunRequest,
  DeleteWorkflowRequest,
  DryRunWorkflowRequest,
  ExportWorkflowRequest,
  GetWorkflowRequest,
  GetWorkflowRunRequest,
  ListWorkflowsRequest,
  RegisterWorkflowRequest,
  ResumeWorkflowRunRequest,
  RUN_STATUSES,
  RUN_TRIGGERS,
  RunWorkflowRequest,
  SaveWorkflowRequest,
  SubscribeWorkflowsRequest,
  UnregisterWorkflowRequest,
  ValidateWorkflowRequest,
  WorkflowHistoryRequest,
  type WorkflowDocument,
} from '../protocol/workflows';
import type { WorkflowStore } from '../store/workflowStore';
import type { WorkflowEngine } from '../workflows/engine';
import { dryRun } from '../workflows/graph';
import { toRunDto } from '../workflows/runDto';
import { runNotFound, workflowInvalid } from '../workflows/workflowErrors';
import type { Workflows } from '../workflows/workflows';
import type { ClientSession } from './clientSession';
import { emptySchema } from './schemas';

const MiB = 1024 * 1024;
const path = z.pipe(
  z.string().check(z.minLength(1), z.maxLength(4096), z.refine(isAbsolute, 'must be an absolute path')),
  z.transform((p) => resolve(p)),
);
const workflowRef = z.string().check(z.minLength(1), z.maxLength(4096));
const runRef = z.strictObject({ run: z.string().check(z.regex(/^wfr_[a-z0-9]{12}$/, 'is not a workflow run id (wfr_ and 12 letters or digits)')) });
const bounded = z.unknown().check(z.refine((v) => Buffer.byteLength(JSON.stringify(v) ?? 'null') <= 16 * MiB, 'is limited to 16 MiB of JSON'));
const input = z.unknown().check(z.refine((v) => Buffer.byteLength(JSON.stringify(v) ?? 'null') <= MiB, 'input is limited to 1 MiB of JSON'));
const refFields = { workflow: z.optional(workflowRef), path: z.optional(path) };
const isoTime = z.string().check(z.refine((t) => !Number.isNaN(Date.parse(t)), 'is not an ISO 8601 date-time'));

export const workflowSchemas = {
  path: z.strictObject({ path }),
  save: z.strictObject({ document: bounded, path: z.optional(path) }),
  export: z.strictObject({ workflow: workflowRef, path: z.optional(path) }),
  ref: z.strictObject(refFields),
  name: z.strictObject({ workflow: workflowRef }),
  validate: z.strictObject({ path: z.optional(path), document: z.optional(bounded) }),
  run: z.strictObject({ ...refFields, input: z.optional(input) }),
  dryRun: z.strictObject({
    ...refFields,
    document: z.optional(bounded),
    outcomes: z.optional(z.record(z.string(), z.strictObject({ status: z.enum(['succeeded', 'failed']), condition: z.optional(z.boolean()) }))),
  }),
  history: z.pipe(
    z.optional(
      z.strictObject({
        workflow: z.optional(workflowRef),
        status: z.optional(z.enum(RUN_STATUSES)),
        trigger: z.optional(z.enum(RUN_TRIGGERS)),
        since: z.optional(isoTime),
        until: z.optional(isoTime),
        limit: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
      }),
    ),
    z.transform((p) => p ?? {}),
  ),
  run_: runRef,
};

export interface WorkflowHandlerDeps {
  workflows: Workflows;
  engine: WorkflowEngine;
  workflowStore: WorkflowStore;
}

/** The `workflows/*` methods. A workflow is named by id or name, or by its file's absolute path. */
export function registerWorkflowHandlers(session: ClientSession, deps: WorkflowHandlerDeps): void {
  const { workflows, engine, workflowStore: store } = deps;
  const runDto = (id: string) => {
    const run = store.getRun(id);
    if (run === undefined) throw runNotFound(id);
    return toRunDto(run, store.steps(id));
  };
  const s = workflowSchemas;
  session.handle(RegisterWorkflowRequest, s.path, ({ path: file }) => ({ workflow: workflows.dto(workflows.register(file)) }));
  session.handle(UnregisterWorkflowRequest, s.path, ({ path: file }) => ({ unregistered: workflows.unregister(file) }));
  session.handle(SaveWorkflowRequest, s.save, ({ document, path: file }) => ({ workflow: workflows.dto(workflows.save(document, file)) }));
  session.handle(ExportWorkflowRequest, s.export, ({ workflow, path: file }) => workflows.export(workflow, file));
  session.handle(ListWorkflowsRequest, emptySchema, () => ({ workflows: workflows.list().map((w) => workflows.dto(w)) }));
  session.handle(GetWorkflowRequest, s.ref, (ref) => ({ workflow: workflows.dto(workflows.resolve(ref)) }));
  session.handle(DeleteWorkflowRequest, s.name, ({ workflow }) => {
    workflows.delete(workflow);
    return { deleted: true as const };
  });
  session.handle(ValidateWorkflowRequest, s.validate, (params) => workflows.validate(params));
  session.handle(RunWorkflowRequest, s.run, ({ input: given, ...ref }) => {
    const run = workflows.run(workflows.resolve(ref), 'manual', given);
    return { run: runDto(run.id) };
  });
  session.handle(GetWorkflowRunRequest, s.run_, ({ run }) => ({ run: runDto(run) }));
  session.handle(WorkflowHistoryRequest, s.history, ({ workflow, status, trigger, since, until, limit }) => {
    const runs = store.history({
      workflowId: workflow === undefined ? undefined : workflows.find(workflow).id,
      status,
      trigger,
      since: since === undefined ? undefined : Date.parse(since),
      until: until === undefined ? undefined : Date.parse(until),
      limit: limit ?? 50,
    });
    const steps = store.stepsOfRuns(runs.map((r) => r.id));
    return { runs: runs.map((r) => toRunDto(r, steps.get(r.id) ?? [])) };
  });
  session.handle(CancelWorkflowRunRequest, s.run_, async ({ run }) => {
    await engine.cancel(run);
    return { run: runDto(run) };
  });
  session.handle(ResumeWorkflowRunRequest, s.run_, ({ run }) => {
    engine.resume(run);
    return { run: runDto(run) };
  });
  session.handle(DryRunWorkflowRequest, s.dryRun, ({ document, outcomes, ...ref }) => {
    let checked;
    if (document !== undefined) checked = workflows.check(document);
    else checked = workflows.check(workflows.resolve(ref).document);
    if (checked.document === null || checked.errors.length > 0) throw workflowInvalid('The workflow', checked.errors);
    const known = new Set(checked.document.nodes.map((n) => n.id));
    const unknown = Object.keys(outcomes ?? {}).filter((id) => !known.has(id));
    if (unknown.length > 0) throw workflowInvalid('The outcomes', [{ severity: 'error', code: 'dangling_edge', message: `no node ${unknown.join(', ')}`, nodes: [] }]);
    return dryRun(checked.document as WorkflowDocument, outcomes ?? {});
  });
  session.handle(SubscribeWorkflowsRequest, emptySchema, () => {
    session.watchesWorkflows = true;
  });
}
