import type { Events } from '../events/events';
import { HTTP_RUNNER } from '../events/httpRunner';
import type { WorkflowNode } from '../protocol/workflows';
import type { JobRequest } from '../queue/jobRequest';

export interface StepContext {
  workflowName: string;
  runId: string;
  input: unknown;
  events: Events;
}

/**
 * The job request of one step: an inline script on the node's target, an event's request as the
 * event makes it (its script or file, environment, retries) with the step's input, or an HTTP request
 * run by the same program as HTTP events. Every one carries the run and step, so the job is the step's.
 */
export function stepRequest(node: WorkflowNode, context: StepContext): JobRequest {
  const own = {
    source: 'workflow' as const,
    name: `${context.workflowName}/${node.id}`,
    workflowRunId: context.runId,
    workflowStepId: node.id,
  };
  const env = { CRONIUM_WORKFLOW_RUN_ID: context.runId, CRONIUM_WORKFLOW_STEP: node.id };
  if (node.event !== undefined) {
    const event = context.events.find(node.event);
    const request = context.events.request(event, 'workflow', null, env, context.input);
    // An HTTP event runs on the host whatever the node says (a container job has no network by default).
    const target = event.type === 'http' ? request.target : (node.target ?? request.target);
    return { ...request, ...own, target, timeoutMs: node.timeoutMs ?? request.timeoutMs };
  }
  const common = {
    ...own,
    targetOptions: {},
    env,
    cwd: null,
    timeoutMs: node.timeoutMs ?? null,
    eventId: null,
    attempt: 1,
    triggeredAt: null,
    terminal: null,
    retries: null,
  };
  if (node.http !== undefined) {
    return { ...common, script: HTTP_RUNNER, scriptName: 'http-request.js', runtime: 'node', target: 'local', input: node.http };
  }
  const script = node.script as NonNullable<WorkflowNode['script']>;
  return { ...common, script: script.content, scriptName: null, runtime: script.runtime, target: node.target ?? 'auto', input: context.input };
}
