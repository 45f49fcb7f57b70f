// zod/mini, as in schemas.ts (which also sets the English messages for every schema).
import * as z from 'zod/mini';
import { jobNotFound } from '../errors';
import type { EventActions } from '../events/actions';
import { ACTION_TRIGGERS, AddActionRequest, JobActionsRequest, ListActionsRequest, RemoveActionRequest } from '../protocol/eventActions';
import type { JobStore } from '../store/jobStore';
import type { ClientSession } from './clientSession';
import { eventRefSchema, getJobSchema } from './schemas';

const eventRef = eventRefSchema.shape.event;
const target = z.string().check(z.minLength(1), z.maxLength(4096));
const template = z.string().check(z.minLength(1), z.maxLength(64 * 1024, 'templates are limited to 64 KiB'));

export const addActionSchema = z.strictObject({
  event: eventRef,
  trigger: z.enum(ACTION_TRIGGERS),
  run: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  webhook: z.optional(target),
  slack: z.optional(target),
  discord: z.optional(target),
  email: z.optional(z.string().check(z.minLength(3), z.maxLength(320))),
  template: z.optional(template),
  subject: z.optional(z.string().check(z.minLength(1), z.maxLength(1000))),
  hmacSecret: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
});

export const removeActionSchema = z.strictObject({
  event: eventRef,
  action: z.string().check(z.regex(/^act_[a-z0-9]{12}$/, 'is not an action id (act_ and 12 letters or digits)')),
});

export interface ActionHandlerDeps {
  actions: EventActions;
  jobs: JobStore;
}

/** `events/addAction|listActions|removeAction` and `jobs/actions`. */
export function registerActionHandlers(session: ClientSession, deps: ActionHandlerDeps): void {
  const { actions, jobs } = deps;
  session.handle(AddActionRequest, addActionSchema, (params) => actions.add(params));
  session.handle(ListActionsRequest, eventRefSchema, ({ event }) => ({ actions: actions.list(event) }));
  session.handle(RemoveActionRequest, removeActionSchema, ({ event, action }) => {
    actions.remove(event, action);
    return { removed: true as const };
  });
  session.handle(JobActionsRequest, getJobSchema, ({ id }) => {
    if (jobs.get(id) === undefined) throw jobNotFound(id);
    return { results: actions.results(id) };
  });
}
