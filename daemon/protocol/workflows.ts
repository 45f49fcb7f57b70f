import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { Runtime, Target } from './dto';
import type { ErrorData } from './errors';

/** When an edge fires, judged on its source step's outcome. */
export const EDGE_CONDITIONS = ['always', 'on_success', 'on_failure', 'on_condition'] as const;
/** One of {@link EDGE_CONDITIONS}. */
export type EdgeCondition = (typeof EDGE_CONDITIONS)[number];

/** What a workflow does when it is triggered while a run of it is still going. */
export const WORKFLOW_OVERLAP_POLICIES = ['allow', 'skip', 'queue'] as const;
export type WorkflowOverlapPolicy = (typeof WORKFLOW_OVERLAP_POLICIES)[number];

/**
 * A workflow as its file `NAME.cronium.json` holds it (schemas/cronium-workflow.schema.json). The
 * builder renders exactly this; the daemon writes it with a fixed key order and 2-space indentation.
 */
export interface WorkflowDocument {
  $schema?: string;
  name: string;
  description?: string;
  /** The input of the start nodes when a trigger gives none. */
  input?: unknown;
  overlap?: WorkflowOverlapPolicy;
  /** At most this many steps of one run at once (the daemon's `concurrency` bounds all jobs anyway). */
  concurrency?: number;
  triggers?: WorkflowTriggers;
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
}

export interface WorkflowTriggers {
  /** Cron (5 fields, or 6 with seconds first) in `timezone`, or `every` (a true interval). */
  schedule?: { cron?: string; timezone?: string; every?: string };
  /**
   * `POST /hooks/workflows/{key}` on the daemon's webhook listener; the body is the run's input. The
   * request is signed with the value of the secret variable `secretVariable` (HMAC-SHA256).
   */
  webhook?: { key: string; secretVariable: string };
}

/** A step: exactly one of `script`, `event` (an event's name) and `http`. */
export interface WorkflowNode {
  id: string;
  name?: string;
  script?: { runtime: Runtime; content: string };
  event?: string;
  http?: WorkflowHttpRequest;
  /** Where the step runs; default: the event's target for an event, else `auto`. */
  target?: Target;
  timeoutMs?: number;
  /** Where the builder draws it. */
  position?: { x: number; y: number };
}

export interface WorkflowHttpRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  expectedStatus?: number;
  timeoutMs?: number;
}

export interface WorkflowEdge {
  from: string;
  to: string;
  when: EdgeCondition;
}

/** What is wrong with a workflow, naming the nodes concerned. */
export interface WorkflowIssue {
  severity: 'error' | 'warning';
  code:
    | 'schema'
    | 'duplicate_node'
    | 'cycle'
    | 'dangling_edge'
    | 'self_loop'
    | 'duplicate_edge'
    | 'unknown_event'
    | 'unreachable'
    | 'no_start'
    | 'condition_never_set'
    | 'schedule'
    | 'unreadable';
  message: string;
  /** The nodes concerned, in order (a cycle's path). */
  nodes: string[];
  /** Where in the file, for schema errors (`nodes.2.script.runtime`). */
  path?: string;
}

/** Step statuses: a job's, plus `pending` (not decided yet) and `skipped` (no incoming edge fired). */
export const STEP_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'partial', 'cancelled'] as const;
/**
 * `succeeded`: no step failed. `partial`: steps failed and each failure was handled (an `on_failure`
 * or `always` edge of the failed step fired). `failed`: a step failed and nothing handled it.
 */
export type RunStatus = (typeof RUN_STATUSES)[number];

export const RUN_TRIGGERS = ['manual', 'schedule', 'webhook'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export interface WorkflowStepDto {
  /** The node's id. */
  id: string;
  status: StepStatus;
  /** 1 for the first try; a resume counts up. */
  attempt: number;
  /** The job of the latest attempt (its log: `logs/read {jobId}`). */
  jobId: string | null;
  input: unknown;
  output: unknown;
  condition: boolean | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** Why it failed or was skipped, in words. */
  reason: string | null;
}

export interface WorkflowRunDto {
  id: string;
  workflowId: string;
  workflowName: string;
  status: RunStatus;
  trigger: RunTrigger;
  input: unknown;
  createdAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** How many times it was resumed. */
  resumes: number;
  steps: WorkflowStepDto[];
}

export interface WorkflowDto {
  id: string;
  name: string;
  /** The file it is read from, or null for one saved through the protocol only. */
  file: string | null;
  /** The last valid version (the one that runs and is scheduled). */
  document: WorkflowDocument;
  /** Warnings of that version. */
  warnings: WorkflowIssue[];
  /** Problems of the file's latest edit when it is invalid (the last valid version stays in force). */
  problems: WorkflowIssue[];
  scheduleText: string | null;
  nextRuns: string[];
  /** The URL a webhook trigger listens on, when it has one. */
  webhookUrl: string | null;
  updatedAt: string;
}

/** A workflow named by id or name, or a file (registered on the way). */
export interface WorkflowRefParams {
  workflow?: string;
  path?: string;
}

export interface ValidateWorkflowParams {
  path?: string;
  /** A document not saved anywhere (the builder's). */
  document?: unknown;
}

export interface ValidateWorkflowResult {
  valid: boolean;
  name: string | null;
  errors: WorkflowIssue[];
  warnings: WorkflowIssue[];
}

/** A chosen outcome of a step for a dry run. */
export interface DryRunOutcome {
  status: 'succeeded' | 'failed';
  condition?: boolean;
}

export interface DryRunParams extends WorkflowRefParams {
  document?: unknown;
  /** By node id; a step not named succeeds without setting a condition. */
  outcomes?: Record<string, DryRunOutcome>;
}

export interface DryRunResult {
  steps: { id: string; wouldRun: boolean; outcome: DryRunOutcome | null; reason: string | null }[];
  edges: (WorkflowEdge & { fires: boolean })[];
  status: Exclude<RunStatus, 'running' | 'cancelled'>;
}

export interface RunWorkflowParams extends WorkflowRefParams {
  input?: unknown;
}

export interface WorkflowHistoryParams {
  workflow?: string;
  status?: RunStatus;
  trigger?: RunTrigger;
  /** ISO 8601: runs created at or after. */
  since?: string;
  until?: string;
  limit?: number;
}

/** Registers a `*.cronium.json` file (validated; watched for changes from then on). */
export const RegisterWorkflowRequest = new RequestType<{ path: string }, { workflow: WorkflowDto }, ErrorData>('workflows/register');
/** Stops watching a file; its workflow and history stay. */
export const UnregisterWorkflowRequest = new RequestType<{ path: string }, { unregistered: boolean }, ErrorData>('workflows/unregister');
/** Saves a document made elsewhere (the builder), and writes it to `path` when given. */
export const SaveWorkflowRequest = new RequestType<{ document: unknown; path?: string }, { workflow: WorkflowDto }, ErrorData>('workflows/save');
/** The workflow as its file's text (canonical form); written to `path` when given. */
export const ExportWorkflowRequest = new RequestType<{ workflow: string; path?: string }, { text: string; path: string | null }, ErrorData>(
  'workflows/export',
);
export const ListWorkflowsRequest = new RequestType<Record<string, never>, { workflows: WorkflowDto[] }, ErrorData>('workflows/list');
export const GetWorkflowRequest = new RequestType<WorkflowRefParams, { workflow: WorkflowDto }, ErrorData>('workflows/get');
export const DeleteWorkflowRequest = new RequestType<{ workflow: string }, { deleted: true }, ErrorData>('workflows/delete');
/** Validates a file or a document without saving anything. */
export const ValidateWorkflowRequest = new RequestType<ValidateWorkflowParams, ValidateWorkflowResult, ErrorData>('workflows/validate');
/** Starts a run; answers once its start steps are submitted. An invalid workflow never starts. */
export const RunWorkflowRequest = new RequestType<RunWorkflowParams, { run: WorkflowRunDto }, ErrorData>('workflows/run');
export const GetWorkflowRunRequest = new RequestType<{ run: string }, { run: WorkflowRunDto }, ErrorData>('workflows/getRun');
/** Runs, newest first, filtered by workflow, status, trigger and time. */
export const WorkflowHistoryRequest = new RequestType<WorkflowHistoryParams, { runs: WorkflowRunDto[] }, ErrorData>('workflows/history');
/** Cancels every running step and skips the rest; resolves with the run recorded `cancelled`. */
export const CancelWorkflowRunRequest = new RequestType<{ run: string }, { run: WorkflowRunDto }, ErrorData>('workflows/cancel');
/** Runs a failed, partial or cancelled run's failed steps again with their recorded inputs. */
export const ResumeWorkflowRunRequest = new RequestType<{ run: string }, { run: WorkflowRunDto }, ErrorData>('workflows/resume');
/** Which edges fire and which steps run, given chosen outcomes; runs nothing. */
export const DryRunWorkflowRequest = new RequestType<DryRunParams, DryRunResult, ErrorData>('workflows/dryRun');
/** Sends {@link WorkflowRunChangedNotification} and {@link WorkflowChangedNotification} to this connection. */
export const SubscribeWorkflowsRequest = new RequestType<Record<string, never>, void, ErrorData>('workflows/subscribe');

/** A run or some of its steps changed status; `steps` are the steps that changed. */
export const WorkflowRunChangedNotification = new NotificationType<{ run: Omit<WorkflowRunDto, 'steps'>; steps: WorkflowStepDto[] }>(
  'workflows/didChangeRun',
);
/** A workflow was registered, changed on disk (valid or not: see `problems`) or deleted. */
export const WorkflowChangedNotification = new NotificationType<{ workflow: WorkflowDto; deleted?: boolean }>('workflows/didChange');
