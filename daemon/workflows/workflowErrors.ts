import { CroniumError } from '../errors';
import { ErrorCodes } from '../protocol/errors';
import type { WorkflowIssue } from '../protocol/workflows';

export function workflowNotFound(ref: string): CroniumError {
  return new CroniumError(ErrorCodes.WorkflowNotFound, 'workflow_not_found', `No workflow ${ref}`, { workflow: ref });
}

export function runNotFound(id: string): CroniumError {
  return new CroniumError(ErrorCodes.WorkflowRunNotFound, 'workflow_run_not_found', `No workflow run ${id}`, { run: id });
}

export function runNotActive(id: string, status: string, what: string): CroniumError {
  return new CroniumError(ErrorCodes.WorkflowRunNotActive, 'workflow_run_not_active', `Run ${id} is ${status}: ${what}`, { run: id, status });
}

/** An invalid workflow: the message lists every error, `data.problems` has them with their nodes. */
export function workflowInvalid(what: string, errors: WorkflowIssue[]): CroniumError {
  const list = errors.map((e) => e.message).join('; ');
  return new CroniumError(ErrorCodes.WorkflowInvalid, 'workflow_invalid', `${what} is invalid: ${list}`, {
    problems: errors,
    issues: errors.map((e) => ({ path: e.path ?? (e.nodes.join(',') || '(workflow)'), message: e.message })),
  });
}
