/**
 * The messages between the workflow builder's webview and the extension (one typed transport per
 * surface). The file's text is the source of truth: the host sends it on every change, the webview
 * answers an edit with the whole new text, and VS Code keeps undo, redo, the dirty state and hot exit.
 */

import type { DryRunResult, RunStatus, RunTrigger, WorkflowRunDto } from '../../daemon/protocol/workflows';

/** An event the palette offers (from the daemon's `events/list`). */
export interface PaletteEvent {
  name: string;
  type: 'bash' | 'python' | 'node' | 'http';
  schedule: string;
  status: string;
  /** ISO time of its next run, when it has one. */
  nextRun?: string;
  /** Its latest runs, newest first: when (ISO) and how each ended. */
  recent: { at: string; outcome: string }[];
}

/** A problem of the workflow, on a node, an edge (`from->to`) or the whole file. */
export interface BuilderProblem {
  severity: 'error' | 'warning';
  message: string;
  nodeId?: string;
  edgeId?: string;
}

/** A step's outcome chosen for a dry run. */
export type DryRunChoice = { status: 'succeeded' | 'failed'; condition?: boolean };

/** Host → webview. */
export type HostMessage =
  /** The document's text: first on `ready`, then after every change, whoever made it. */
  | { type: 'document'; text: string }
  | { type: 'events'; events: PaletteEvent[] }
  | { type: 'problems'; problems: BuilderProblem[] }
  /** The run shown on the canvas (the latest, one started here, or one opened from History), as it changes. */
  | { type: 'run'; run: WorkflowRunDto | null }
  | { type: 'history'; runs: WorkflowRunDto[] }
  | { type: 'dryRun'; result: DryRunResult | null }
  /** Something the user asked for failed: shown in the builder, in words. */
  | { type: 'failure'; message: string };

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  /** Replace the document's text with `text` (one undo step, named by `label`). */
  | { type: 'edit'; text: string; label: string }
  /** Open a script node's content in a text editor tab. */
  | { type: 'openScript'; nodeId: string }
  | { type: 'openAsText' }
  /** The file as text in the editor group beside the builder (edits flow both ways). */
  | { type: 'openTextBeside' }
  /** Save the file and run it with `input` (JSON text, empty for the workflow's own input). */
  | { type: 'run'; input: string }
  | { type: 'cancel'; runId: string }
  | { type: 'resume'; runId: string }
  | { type: 'openLog'; jobId: string }
  | { type: 'history'; status?: RunStatus; trigger?: RunTrigger; sinceHours?: number }
  | { type: 'openRun'; runId: string }
  | { type: 'dryRun'; outcomes: Record<string, DryRunChoice> }
  /** Stop showing a run or a dry run on the canvas. */
  | { type: 'clearRun' };

const HOST_TYPES = new Set(['document', 'events', 'problems', 'run', 'history', 'dryRun', 'failure']);
const WEBVIEW_TYPES = new Set(['ready', 'edit', 'openScript', 'openAsText', 'openTextBeside', 'run', 'cancel', 'resume', 'openLog', 'history', 'openRun', 'dryRun', 'clearRun']);
const ID_FIELDS: Record<string, string> = { openScript: 'nodeId', cancel: 'runId', resume: 'runId', openRun: 'runId', openLog: 'jobId' };

const typeOf = (value: unknown): unknown =>
  typeof value === 'object' && value !== null && 'type' in value ? (value as { type: unknown }).type : undefined;

/** A message posted to the webview is one of ours (anything else that arrives is ignored). */
export function isHostMessage(value: unknown): value is HostMessage {
  return HOST_TYPES.has(typeOf(value) as string);
}

/** A message from the webview is one of ours, with the fields its type needs. */
export function isWebviewMessage(value: unknown): value is WebviewMessage {
  const type = typeOf(value);
  if (!WEBVIEW_TYPES.has(type as string)) return false;
  const message = value as Record<string, unknown>;
  if (type === 'edit') return typeof message.text === 'string' && typeof message.label === 'string';
  if (type === 'run') return typeof message.input === 'string';
  if (type === 'dryRun') return typeof message.outcomes === 'object' && message.outcomes !== null;
  const idField = ID_FIELDS[type as string];
  return idField === undefined || typeof message[idField] === 'string';
}
