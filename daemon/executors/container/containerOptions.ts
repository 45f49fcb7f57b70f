import * as z from 'zod/mini';
import type { TargetOptionsInput, TargetOptionsSpec } from '../executor';

/** Limits and options of a container job (DESIGN §4). Stored with its execution as JSON. */
export interface ContainerOptions {
  /** Image override; default the runtime's image from settings / CRONIUM_IMAGE_<RUNTIME>. */
  image?: string;
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
  /** Allow egress. Off: the job network is internal. */
  network: boolean;
}

/**
 * The one place container defaults live: 512 MiB, 0.5 CPU, 100 processes, no network. Warm slots are
 * made with exactly these, so a job asking for nothing else takes one.
 */
export const DEFAULT_CONTAINER_OPTIONS: ContainerOptions = {
  memoryBytes: 512 * 1024 * 1024,
  nanoCpus: 500_000_000,
  pidsLimit: 100,
  network: false,
};

const storedSchema = z.object({
  image: z.optional(z.string()),
  memoryBytes: z.int().check(z.positive()),
  nanoCpus: z.int().check(z.positive()),
  pidsLimit: z.int().check(z.positive()),
  network: z.boolean(),
});

/** How the container executor reads a job's `network`, `limits` and `image` (kept free of dockerode). */
export const containerOptionsSpec: TargetOptionsSpec<ContainerOptions> = {
  resolve(input: TargetOptionsInput): ContainerOptions {
    const d = DEFAULT_CONTAINER_OPTIONS;
    const limits = input.limits ?? {};
    return {
      ...(input.image === undefined ? {} : { image: input.image }),
      memoryBytes: limits.memoryMb === undefined ? d.memoryBytes : Math.round(limits.memoryMb * 1024 * 1024),
      nanoCpus: limits.cpus === undefined ? d.nanoCpus : Math.round(limits.cpus * 1e9),
      pidsLimit: limits.pids ?? d.pidsLimit,
      network: input.network ?? d.network,
    };
  },
  parse(stored: unknown): ContainerOptions {
    if (stored === null || stored === undefined) return DEFAULT_CONTAINER_OPTIONS;
    const { image, ...rest } = storedSchema.parse(stored);
    return image === undefined ? rest : { image, ...rest };
  },
};
