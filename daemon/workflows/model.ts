// zod/mini, as in rpc/schemas.ts (full zod adds ~11 MiB to the daemon's RSS).
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { RUNTIMES, TARGETS } from '../protocol/dto';
import {
  EDGE_CONDITIONS,
  WORKFLOW_OVERLAP_POLICIES,
  type WorkflowDocument,
  type WorkflowEdge,
  type WorkflowIssue,
  type WorkflowNode,
} from '../protocol/workflows';

// English messages (rpc/schemas.ts sets the same; files are also checked where it is not loaded).
z.config(en());

const MiB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;
/** What `$schema` points at in files the daemon writes (VS Code also maps `*.cronium.json` to it). */
export const SCHEMA_ID = 'https://cronium.dev/schemas/cronium-workflow.schema.json';

const int = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));
const text = (max: number) => z.string().check(z.maxLength(max));

export const nodeIdSchema = z
  .string()
  .check(
    z.regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/, 'node ids are letters, digits, _ . - (at most 100, not starting with . or -)'),
    z.describe('Unique id of the step; edges and outputs refer to it.'),
  );

const httpSchema = z.strictObject({
  method: z.optional(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])),
  url: z.string().check(
    z.maxLength(8192),
    z.refine((url) => {
      try {
        return ['http:', 'https:'].includes(new URL(url.replace(/\{\{[^}]*\}\}/g, 'x')).protocol);
      } catch {
        return false;
      }
    }, 'must be an http:// or https:// URL'),
  ),
  headers: z.optional(z.record(z.string().check(z.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not a header name')), text(64 * 1024))),
  body: z.optional(text(MiB)),
  expectedStatus: z.optional(int(100, 599)),
  timeoutMs: z.optional(int(1, DAY_MS)),
});

const nodeSchema = z
  .strictObject({
    id: nodeIdSchema,
    name: z.optional(text(200)),
    script: z.optional(
      z
        .strictObject({
          runtime: z.enum(RUNTIMES),
          content: z.string().check(z.maxLength(10 * MiB, 'scripts are limited to 10 MiB'), z.describe('The script. It reads its input with cronium.input() and sends its output with cronium.output(data).')),
        })
        .check(z.describe('An inline script run as a job on the node\'s target.')),
    ),
    event: z.optional(z.string().check(z.minLength(1), z.maxLength(200), z.describe('The name of a saved event to run.'))),
    http: z.optional(httpSchema.check(z.describe('An HTTP request, run on the host; the answer (status, headers, body) is the step\'s output.'))),
    target: z.optional(z.enum(TARGETS).check(z.describe('Where the step runs: auto (a container when Docker answers), local or container.'))),
    timeoutMs: z.optional(int(1, 7 * DAY_MS).check(z.describe('Kill the step after this many milliseconds (it is then timed_out, a failure).'))),
    position: z.optional(z.strictObject({ x: z.number(), y: z.number() }).check(z.describe('Where the builder draws the node.'))),
  })
  .check(
    z.refine(
      (node) => [node.script, node.event, node.http].filter((v) => v !== undefined).length === 1,
      'give exactly one of script, event and http',
    ),
  );

const edgeSchema = z.strictObject({
  from: nodeIdSchema,
  to: nodeIdSchema,
  when: z.enum(EDGE_CONDITIONS).check(z.describe('always | on_success | on_failure | on_condition (the step called setCondition(true))')),
});

export const workflowSchema = z
  .strictObject({
    $schema: z.optional(z.string()),
    name: z
      .string()
      .check(z.minLength(1), z.maxLength(200), z.regex(/^[^\s](.*[^\s])?$/, 'must not start or end with a space'), z.describe('The workflow name.')),
    description: z.optional(text(10_000)),
    input: z.optional(z.unknown().check(z.describe('The start steps\' input when a trigger gives none.'))),
    overlap: z.optional(z.enum(WORKFLOW_OVERLAP_POLICIES).check(z.describe('When triggered while a run goes on: allow (default), skip (refuse), queue (wait for it).'))),
    concurrency: z.optional(int(1, 1000).check(z.describe('At most this many steps of one run at once (default: no limit of its own).'))),
    triggers: z.optional(
      z.strictObject({
        schedule: z.optional(
          z.strictObject({
            cron: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
            timezone: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
            every: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
          }),
        ),
        webhook: z.optional(
          z.strictObject({
            key: z.string().check(z.regex(/^[A-Za-z0-9_-]{8,64}$/, 'webhook keys are 8 to 64 letters, digits, _ and -')),
            secretVariable: z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,200}$/, 'is not a variable name')),
          }),
        ),
      }),
    ),
    nodes: z.array(nodeSchema).check(z.minLength(1, 'a workflow needs at least one node'), z.maxLength(1000), z.describe('The steps; each runs exactly one of script, event and http.')),
    edges: z.array(edgeSchema).check(z.maxLength(10_000), z.describe('A step runs once its incoming edges are decided and one fired; with none fired it is skipped.')),
  });

export type ParsedWorkflow = { ok: true; document: WorkflowDocument } | { ok: false; issues: WorkflowIssue[] };

/** Checks a value against the file format; issues carry the path in the file. */
export function parseWorkflow(value: unknown): ParsedWorkflow {
  const parsed = workflowSchema.safeParse(value);
  if (parsed.success) return { ok: true, document: parsed.data as WorkflowDocument };
  const nodes = Array.isArray((value as { nodes?: unknown })?.nodes) ? ((value as { nodes: unknown[] }).nodes) : [];
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      // Name the node when the problem is inside one: "node build: script.runtime: …".
      const at = issue.path[0] === 'nodes' && typeof issue.path[1] === 'number' ? nodes[issue.path[1]] : undefined;
      const id = typeof (at as { id?: unknown })?.id === 'string' ? (at as { id: string }).id : undefined;
      const where = id === undefined ? path || '(file)' : `node ${id}${issue.path.length > 2 ? `: ${issue.path.slice(2).join('.')}` : ''}`;
      return { severity: 'error' as const, code: 'schema' as const, message: `${where}: ${issue.message}`, nodes: id === undefined ? [] : [id], path };
    }),
  };
}

/** Parses a file's text (JSON) and checks its format. */
export function parseWorkflowText(source: string): ParsedWorkflow {
  let value: unknown;
  try {
    value = JSON.parse(source) as unknown;
  } catch (e) {
    return { ok: false, issues: [{ severity: 'error', code: 'schema', message: `not valid JSON: ${(e as Error).message}`, nodes: [] }] };
  }
  return parseWorkflow(value);
}

/** `value` with only the keys of `order` that it has, in that order (undefined ones dropped). */
function ordered<T extends object>(value: T, order: readonly (keyof T)[]): T {
  const out: Partial<T> = {};
  for (const key of order) if (value[key] !== undefined) out[key] = value[key];
  return out as T;
}

function canonicalNode(node: WorkflowNode): WorkflowNode {
  return ordered(
    {
      ...node,
      script: node.script && ordered(node.script, ['runtime', 'content']),
      http: node.http && ordered(node.http, ['method', 'url', 'headers', 'body', 'expectedStatus', 'timeoutMs']),
      position: node.position && ordered(node.position, ['x', 'y']),
    },
    ['id', 'name', 'script', 'event', 'http', 'target', 'timeoutMs', 'position'],
  );
}

/** The document with every key in its fixed order: what files and exports hold. */
export function canonicalWorkflow(document: WorkflowDocument): WorkflowDocument {
  const triggers = document.triggers && {
    ...document.triggers,
    schedule: document.triggers.schedule && ordered(document.triggers.schedule, ['cron', 'timezone', 'every']),
    webhook: document.triggers.webhook && ordered(document.triggers.webhook, ['key', 'secretVariable']),
  };
  return ordered(
    {
      ...document,
      triggers: triggers && ordered(triggers, ['schedule', 'webhook']),
      nodes: document.nodes.map(canonicalNode),
      edges: document.edges.map((edge: WorkflowEdge) => ordered(edge, ['from', 'to', 'when'])),
    },
    ['$schema', 'name', 'description', 'input', 'overlap', 'concurrency', 'triggers', 'nodes', 'edges'],
  );
}

/**
 * The file's text: fixed key order, 2-space indentation, a final newline, so a `git diff` shows only
 * what changed. Nodes and edges keep the author's order. Formatting a file that this wrote gives the
 * same bytes back.
 */
export function formatWorkflow(document: WorkflowDocument): string {
  return `${JSON.stringify(canonicalWorkflow(document), null, 2)}\n`;
}
