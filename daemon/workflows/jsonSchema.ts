import * as z from 'zod/mini';
import { SCHEMA_ID, workflowSchema } from './model';

/**
 * The published JSON Schema of `*.cronium.json` (schemas/cronium-workflow.schema.json), made from the
 * zod schema the daemon validates with, so the editor's completions and the daemon never disagree on
 * the format. Checks JSON Schema cannot say (URL schemes, the graph's rules) are
 * the daemon's. `npm run schema` writes the file; a unit test fails when it is stale.
 */
export function workflowJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(workflowSchema, { unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  // What a step runs: JSON Schema can say "exactly one of" where zod needs a refinement.
  const node = ((rest.properties as Record<string, { items?: Record<string, unknown> }>).nodes.items ?? {}) as Record<string, unknown>;
  node.oneOf = ['script', 'event', 'http'].map((key) => ({ required: [key] }));
  return {
    $schema,
    $id: SCHEMA_ID,
    title: 'Cronium workflow',
    description: 'A workflow: steps (nodes) and the conditional edges between them. Validated by the Cronium daemon on every save and before every run.',
    ...rest,
  };
}

export function workflowJsonSchemaText(): string {
  return `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`;
}
