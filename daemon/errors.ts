import type { ErrorCode, ErrorData, ErrorKind } from './protocol/errors';
import { ErrorCodes } from './protocol/errors';

/**
 * Marks daemon errors across bundles: an executor loaded from a bundle of its own (dist/sshExecutor.js)
 * has its own copy of this class, so `instanceof` alone would not know its errors.
 */
const BRAND = Symbol.for('cronium:CroniumError');

/** An error the daemon reports to clients with a code and a kind; mapped to a ResponseError once, in rpc/. */
export class CroniumError extends Error {
  readonly [BRAND] = true;

  constructor(
    readonly code: ErrorCode,
    readonly kind: ErrorKind,
    message: string,
    readonly details: Omit<ErrorData, 'kind'> = {},
  ) {
    super(message);
    this.name = 'CroniumError';
  }

  static is(e: unknown): e is CroniumError {
    return e instanceof CroniumError || (typeof e === 'object' && e !== null && (e as { [BRAND]?: unknown })[BRAND] === true);
  }
}

export function jobNotFound(id: string): CroniumError {
  return new CroniumError(ErrorCodes.JobNotFound, 'job_not_found', `No job ${id}`, { jobId: id, hint: { action: 'list_jobs' } });
}

/** Turns anything thrown into an Error, so catch blocks never handle `unknown` by hand. */
export function coerceError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : JSON.stringify(e));
}

/** `code` of a Node system error (`ENOENT`, `EADDRINUSE` …), if any. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
  return undefined;
}
