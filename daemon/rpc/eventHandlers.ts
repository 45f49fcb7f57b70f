import type { EventActions } from '../events/actions';
import type { Events } from '../events/events';
import {
  CreateEventRequest,
  DeleteEventRequest,
  EventHistoryRequest,
  GetEventRequest,
  ListEventsRequest,
  PauseEventRequest,
  PreviewScheduleRequest,
  ResetEventRequest,
  ResumeEventRequest,
  RunEventRequest,
  UpdateEventRequest,
} from '../protocol/events';
import type { JobQueue } from '../queue/jobQueue';
import type { JobStore } from '../store/jobStore';
import { registerActionHandlers } from './actionHandlers';
import type { ClientSession } from './clientSession';
import { createEventSchema, emptySchema, eventHistorySchema, eventRefSchema, previewScheduleSchema, updateEventSchema } from './schemas';

export interface EventHandlerDeps {
  events: Events;
  queue: JobQueue;
  jobs: JobStore;
  /** Conditional actions: `events/addAction|listActions|removeAction`, `jobs/actions`. */
  actions: EventActions;
}

/** The `events/*` methods. An event is named by id or name; answers about one event carry its slots. */
export function registerEventHandlers(session: ClientSession, deps: EventHandlerDeps): void {
  const { events, queue, jobs } = deps;
  session.handle(CreateEventRequest, createEventSchema, (params) => ({ event: events.dto(events.create(params), true) }));
  session.handle(PreviewScheduleRequest, previewScheduleSchema, (params) => events.preview(params));
  session.handle(ListEventsRequest, emptySchema, () => ({ events: events.list().map((e) => events.dto(e)) }));
  session.handle(GetEventRequest, eventRefSchema, ({ event }) => ({ event: events.dto(events.find(event), true) }));
  session.handle(UpdateEventRequest, updateEventSchema, (params) => ({ event: events.dto(events.update(params), true) }));
  session.handle(DeleteEventRequest, eventRefSchema, ({ event }) => {
    events.delete(event);
    return { deleted: true as const };
  });
  session.handle(RunEventRequest, eventRefSchema, async ({ event }) => ({ job: queue.dto(await events.run(event)) }));
  session.handle(PauseEventRequest, eventRefSchema, ({ event }) => ({ event: events.dto(events.pause(event), true) }));
  session.handle(ResumeEventRequest, eventRefSchema, ({ event }) => ({ event: events.dto(events.resume(event), true) }));
  session.handle(ResetEventRequest, eventRefSchema, ({ event }) => ({ event: events.dto(events.reset(event), true) }));
  session.handle(EventHistoryRequest, eventHistorySchema, ({ event, limit }) => {
    const found = events.find(event);
    const ids = deps.events.jobIds(found.id, limit ?? 50);
    return { jobs: queue.dtos(ids.map((id) => jobs.get(id)).filter((job) => job !== undefined)) };
  });
  registerActionHandlers(session, deps);
}
