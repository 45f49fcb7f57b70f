import * as z from 'zod/mini';
import { en } from 'zod/locales';

// zod's mini build (the full one is 450 KB of the webview's bundle), with its English messages.
z.config(en());

/**
 * What the builder reads of a `*.cronium.json` file (the engine's model, issue 9): the fields it draws and
 * edits, with everything else kept as it was, so a save through the builder never drops what it does not
 * know. The file is the source of truth; this is parsed from its text on every change.
 */
export const CONDITIONS = ['always', 'on_success', 'on_failure', 'on_condition'] as const;
export type Condition = (typeof CONDITIONS)[number];

/** Words for each condition: edges are labelled, never told apart by colour alone. */
export const CONDITION_LABELS: Record<Condition, string> = {
  always: 'Always',
  on_success: 'On Success',
  on_failure: 'On Failure',
  on_condition: 'On Condition',
};

const Position = z.object({ x: z.number(), y: z.number() });

const ScriptStep = z.looseObject({ runtime: z.enum(['bash', 'python', 'node']), content: z.string() });
const HttpStep = z.looseObject({ method: z.optional(z.string()), url: z.string() });

const NodeSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  name: z.optional(z.string()),
  event: z.optional(z.string()),
  script: z.optional(ScriptStep),
  http: z.optional(HttpStep),
  target: z.optional(z.string()),
  position: z.optional(Position),
});

const EdgeSchema = z.looseObject({
  from: z.string(),
  to: z.string(),
  when: z.enum(CONDITIONS),
});

const DocumentSchema = z.looseObject({
  name: z.string(),
  description: z.optional(z.string()),
  nodes: z.array(NodeSchema),
  edges: z.array(EdgeSchema),
});

export type WorkflowNode = z.infer<typeof NodeSchema>;
export type WorkflowEdge = z.infer<typeof EdgeSchema>;
export type WorkflowDocument = z.infer<typeof DocumentSchema>;
export type NodeKind = 'event' | 'script' | 'http';

export function kindOf(node: WorkflowNode): NodeKind {
  if (node.event !== undefined) return 'event';
  if (node.http !== undefined) return 'http';
  return 'script';
}

/** A file the builder cannot draw, with where and why (shown instead of the canvas, with "Open as Text"). */
export interface ParseFailure {
  ok: false;
  reasons: string[];
}

export type Parsed = { ok: true; document: WorkflowDocument } | ParseFailure;

export function parseWorkflow(text: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reasons: [`The file is not valid JSON: ${e instanceof Error ? e.message : String(e)}`] };
  }
  const parsed = DocumentSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      reasons: parsed.error.issues.map((issue) => `${issue.path.length === 0 ? 'the file' : issue.path.join('.')}: ${issue.message}`),
    };
  }
  return { ok: true, document: parsed.data };
}

/** Keys in the order the file keeps them; keys the builder does not know follow in their own order. */
// The engine's order (daemon/workflows/model.ts canonicalWorkflow): a file saved here and one the daemon
// exports are the same bytes (test/unit/builderGraph.test.ts holds the two to it).
const DOCUMENT_KEYS = ['$schema', 'name', 'description', 'input', 'overlap', 'concurrency', 'triggers', 'nodes', 'edges'];
const NODE_KEYS = ['id', 'name', 'script', 'event', 'http', 'target', 'timeoutMs', 'position'];
const HTTP_KEYS = ['method', 'url', 'headers', 'body', 'expectedStatus', 'timeoutMs'];
const TRIGGER_KEYS = ['schedule', 'webhook'];
const SCHEDULE_KEYS = ['cron', 'timezone', 'every'];
const WEBHOOK_KEYS = ['key', 'secretVariable'];
const EDGE_KEYS = ['from', 'to', 'when'];
const SCRIPT_KEYS = ['runtime', 'content'];
const POSITION_KEYS = ['x', 'y'];

function ordered(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  for (const [key, v] of Object.entries(value)) if (!(key in out) && v !== undefined) out[key] = v;
  return out;
}

/**
 * The file's text: stable key order, two-space indent, whole-number positions and a final newline, so
 * moving one node changes two lines in `git diff` and saving an unchanged workflow changes nothing.
 */
export function formatWorkflow(document: WorkflowDocument): string {
  const nodes = document.nodes.map((node) => {
    const out = ordered(node, NODE_KEYS);
    if (node.script !== undefined) out.script = ordered(node.script, SCRIPT_KEYS);
    if (node.http !== undefined) out.http = ordered(node.http, HTTP_KEYS);
    if (node.position !== undefined) out.position = ordered({ x: Math.round(node.position.x), y: Math.round(node.position.y) }, POSITION_KEYS);
    return out;
  });
  const edges = document.edges.map((edge) => ordered(edge, EDGE_KEYS));
  const triggers = orderedTriggers(document.triggers);
  return `${JSON.stringify(ordered({ ...document, ...(triggers === undefined ? {} : { triggers }), nodes, edges }, DOCUMENT_KEYS), null, 2)}\n`;
}

function orderedTriggers(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const triggers = value as Record<string, unknown>;
  const sub = (key: string, keys: readonly string[]) =>
    typeof triggers[key] === 'object' && triggers[key] !== null ? ordered(triggers[key] as Record<string, unknown>, keys) : triggers[key];
  return ordered({ ...triggers, schedule: sub('schedule', SCHEDULE_KEYS), webhook: sub('webhook', WEBHOOK_KEYS) }, TRIGGER_KEYS);
}
