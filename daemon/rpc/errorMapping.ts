import { ResponseError } from 'vscode-jsonrpc';
import { CroniumError, coerceError } from '../errors';
import type { Logger } from '../logger';
import { ErrorCodes, type ErrorData } from '../protocol/errors';
import { ValidationError } from './schemas';

/** The one place daemon errors become protocol errors. */
export function toResponseError(e: unknown, method: string, logger: Logger): ResponseError<ErrorData> {
  if (e instanceof ResponseError) return e as ResponseError<ErrorData>;
  if (CroniumError.is(e)) return new ResponseError(e.code, e.message, { ...e.details, kind: e.kind });
  if (e instanceof ValidationError) {
    const issues = e.issues.map((i) => ({ path: i.path.join('.') || '(params)', message: i.message }));
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    return new ResponseError(ErrorCodes.InvalidParams, `Invalid params for ${method}: ${summary}`, {
      kind: 'invalid_params',
      issues,
    });
  }
  const error = coerceError(e);
  logger.error(`${method} failed: ${error.stack ?? error.message}`);
  return new ResponseError(ErrorCodes.Internal, `Internal daemon error in ${method}: ${error.message} (see the daemon log)`, {
    kind: 'internal',
  });
}
