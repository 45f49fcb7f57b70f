// Engine API answers are validated here, at the edge, so the rest of the executor works on checked
// values (STYLE: external output such as docker inspect is validated with schemas).
import * as z from 'zod/mini';
import { ContainerError } from './containerErrors';

const labels = z.pipe(
  z.optional(z.nullable(z.record(z.string(), z.string()))),
  z.transform((value) => value ?? {}),
);

/** One row of `GET /containers/json`. */
export const containerSummarySchema = z.object({
  Id: z.string(),
  Labels: labels,
  State: z.string(),
});
export type ContainerSummary = z.infer<typeof containerSummarySchema>;

/** One row of `GET /networks`. */
export const networkSummarySchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Labels: labels,
});
export type NetworkSummary = z.infer<typeof networkSummarySchema>;

/** The part of `GET /containers/{id}/json` the executor reads. */
export const containerInspectSchema = z.object({
  Id: z.string(),
  State: z.object({
    Status: z.string(),
    Running: z.boolean(),
    ExitCode: z.int(),
    OOMKilled: z.boolean(),
  }),
  Config: z.object({ Labels: labels }),
});
export type ContainerInspect = z.infer<typeof containerInspectSchema>;

/** `POST /containers/{id}/wait`. */
export const waitResultSchema = z.object({
  StatusCode: z.int(),
  Error: z.optional(z.nullable(z.object({ Message: z.optional(z.string()) }))),
});
export type WaitResult = z.infer<typeof waitResultSchema>;

/** Checks an Engine API answer against its schema; a mismatch is an engine we do not understand. */
export function parseDocker<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ContainerError('setup_failed', `Unexpected answer from Docker to ${what}: ${z.prettifyError(result.error)}`);
}
