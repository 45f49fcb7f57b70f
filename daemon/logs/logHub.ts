import type { LogLineDto } from '../protocol/dto';
import type { LogStore, StoredLine } from '../store/logStore';
import type { LogListener } from './jobLogWriter';
import { toLogLineDto } from './logLines';

/** A connection that receives log lines. */
export interface LogClient {
  readonly id: number;
  sendLines(log: LogRef, lines: LogLineDto[]): void;
  sendEnd(log: LogRef, lastSeq: number): void;
  /** True while the connection has more unsent bytes than it should buffer. */
  congested(): boolean;
  onceDrained(callback: () => void): void;
}

/** Which log: an execution's, named with its job for the clients. */
export interface LogRef {
  jobId: string;
  executionId: string;
}

/** Where an execution's log stands right now. */
export interface JobLogState {
  storedSeq: number;
  /** Set once the job has finished: its last sequence number. */
  finalSeq: number | null;
}

export type JobLogStateLookup = (executionId: string) => JobLogState | undefined;

interface Subscription {
  readonly client: LogClient;
  readonly log: LogRef;
  lastSent: number;
  /** Live: new lines go straight out. Otherwise the pump replays from the store first. */
  live: boolean;
  pumpScheduled: boolean;
  waitingForDrain: boolean;
  closed: boolean;
}

const PAGE_LINES = 2000;

/**
 * Delivers every line of an execution's log, in order and without gaps, to each subscribed connection. A fast
 * reader gets each batch as soon as it is stored; a slow one falls back to paging from the store
 * at its own pace, so a job printing faster than a client reads costs no daemon memory and loses nothing.
 */
export class LogHub implements LogListener {
  /** Subscriptions by execution id, then by client. */
  private readonly byLog = new Map<string, Map<number, Subscription>>();

  constructor(
    private readonly store: LogStore,
    private readonly lookup: JobLogStateLookup,
  ) {}

  /** Starts sending lines after `afterSeq` (default: only lines printed from now on). */
  subscribe(client: LogClient, log: LogRef, afterSeq: number | undefined): void {
    const state = this.lookup(log.executionId);
    if (state === undefined) return;
    this.unsubscribe(client.id, log.jobId);
    let subs = this.byLog.get(log.executionId);
    if (subs === undefined) {
      subs = new Map();
      this.byLog.set(log.executionId, subs);
    }
    const sub: Subscription = {
      client,
      log,
      lastSent: afterSeq ?? state.storedSeq,
      live: false,
      pumpScheduled: false,
      waitingForDrain: false,
      closed: false,
    };
    subs.set(client.id, sub);
    this.schedulePump(sub);
  }

  /** Ends the client's subscriptions to the logs of `jobId`. */
  unsubscribe(clientId: number, jobId: string): void {
    for (const subs of [...this.byLog.values()]) {
      const sub = subs.get(clientId);
      if (sub !== undefined && sub.log.jobId === jobId) this.close(sub);
    }
  }

  removeClient(clientId: number): void {
    for (const subs of [...this.byLog.values()]) {
      const sub = subs.get(clientId);
      if (sub) this.close(sub);
    }
  }

  stored(executionId: string, lines: readonly StoredLine[]): void {
    const subs = this.byLog.get(executionId);
    if (subs === undefined || lines.length === 0) return;
    let dtos: LogLineDto[] | undefined;
    const last = lines[lines.length - 1].seq;
    for (const sub of subs.values()) {
      if (sub.live && lines[0].seq === sub.lastSent + 1 && !sub.client.congested()) {
        dtos ??= lines.map(toLogLineDto);
        sub.client.sendLines(sub.log, dtos);
        sub.lastSent = last;
      } else if (last > sub.lastSent) {
        // Behind or congested: the pump replays from the store at the reader's pace.
        sub.live = false;
        this.schedulePump(sub);
      }
    }
  }

  /** The execution has ended and all its lines are stored. */
  finished(executionId: string): void {
    const subs = this.byLog.get(executionId);
    if (subs === undefined) return;
    for (const sub of subs.values()) this.schedulePump(sub);
  }

  private schedulePump(sub: Subscription): void {
    if (sub.pumpScheduled || sub.waitingForDrain || sub.closed) return;
    sub.pumpScheduled = true;
    setImmediate(() => {
      sub.pumpScheduled = false;
      this.pump(sub);
    });
  }

  private pump(sub: Subscription): void {
    if (sub.closed) return;
    const state = this.lookup(sub.log.executionId);
    if (state === undefined) {
      this.close(sub);
      return;
    }
    while (sub.lastSent < state.storedSeq) {
      if (this.waitIfCongested(sub)) return;
      const page = this.store.read(sub.log.executionId, sub.lastSent, PAGE_LINES);
      if (page.length === 0) break;
      sub.client.sendLines(sub.log, page.map(toLogLineDto));
      sub.lastSent = page[page.length - 1].seq;
    }
    if (state.finalSeq !== null && sub.lastSent >= state.finalSeq) {
      sub.client.sendEnd(sub.log, state.finalSeq);
      this.close(sub);
      return;
    }
    sub.live = sub.lastSent >= state.storedSeq;
  }

  private waitIfCongested(sub: Subscription): boolean {
    if (!sub.client.congested()) return false;
    sub.waitingForDrain = true;
    sub.client.onceDrained(() => {
      sub.waitingForDrain = false;
      this.schedulePump(sub);
    });
    return true;
  }

  private close(sub: Subscription): void {
    sub.closed = true;
    const subs = this.byLog.get(sub.log.executionId);
    if (subs?.get(sub.client.id) === sub) {
      subs.delete(sub.client.id);
      if (subs.size === 0) this.byLog.delete(sub.log.executionId);
    }
  }
}
