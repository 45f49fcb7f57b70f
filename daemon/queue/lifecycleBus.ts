import type { ExecutionRecord } from '../store/executionRecord';
import type { JobRecord } from '../store/jobStore';

/**
 * What happens to jobs and executions, as typed events named `area:subject`. The log hub, the RPC
 * notifications and (next) the scheduler, conditional actions and workflows listen here instead of
 * asking the queue.
 */
export interface LifecycleEvents {
  /**
   * A job and its first executions were stored as queued. In every event `job` is the job as asked;
   * its `status` is the one of that moment only in `job:finished` (read the store for the latest).
   */
  'job:queued': { job: JobRecord; executions: ExecutionRecord[] };
  /** An execution was claimed and its target resolved (`auto` decided); it is being started. */
  'execution:claimed': { job: JobRecord; execution: ExecutionRecord };
  /** Its process (or container) exists. */
  'execution:started': { job: JobRecord; execution: ExecutionRecord };
  /** It ended and is recorded: its final record, with what it sent as output and condition. */
  'execution:finished': { job: JobRecord; execution: ExecutionRecord; output: unknown; condition: boolean | null };
  /** Every execution of the job ended: the job's final record, and its executions when asked for. */
  'job:finished': { job: JobRecord; executions: () => ExecutionRecord[] };
}

export type LifecycleEvent = keyof LifecycleEvents;
type Listener<E extends LifecycleEvent> = (payload: LifecycleEvents[E]) => void;

/** A synchronous, typed event bus. A listener that throws is reported and never stops the others. */
export class LifecycleBus {
  private readonly listeners: { [E in LifecycleEvent]?: Listener<E>[] } = {};

  constructor(private readonly onListenerError: (event: LifecycleEvent, e: unknown) => void) {}

  on<E extends LifecycleEvent>(event: E, listener: Listener<E>): () => void {
    const list = (this.listeners[event] ??= []) as Listener<E>[];
    list.push(listener);
    return () => {
      const at = list.indexOf(listener);
      if (at !== -1) list.splice(at, 1);
    };
  }

  emit<E extends LifecycleEvent>(event: E, payload: LifecycleEvents[E]): void {
    const list = this.listeners[event] as Listener<E>[] | undefined;
    if (list === undefined) return;
    for (const listener of [...list]) {
      try {
        listener(payload);
      } catch (e) {
        this.onListenerError(event, e);
      }
    }
  }
}
