import type { LogLineDto } from '../protocol/dto';
import type { LogStore, StoredLine } from '../store/logStore';
import type { LogListener } from './jobLogWriter';
import { toLogLineDto } from './logLines';

/** A connection that receives log lines. */
export interface LogClient {
  readonly id: number;
  sendLines(jobId: string, lines: LogLineDto[]): void;
  sendEnd(jobId: string, lastSeq: number): void;
  /** True while the connection has more unsent bytes than it should buffer. */
  congested(): boolean;
  onceDrained(callback: () => void): void;
}

/** Where a job's log stands right now. */
export interface JobLogState {
  storedSeq: number;
  /** Set once the job has finished: its last sequence number. */
  finalSeq: number | null;
}

export type JobLogStateLookup = (jobId: string) => JobLogState | undefined;

interface Subscription {
  readonly client: LogClient;
  readonly jobId: string;
  lastSent: number;
  /** Live: new lines go straight out. Otherwise the pump replays from the store first. */
  live: boolean;
  pumpScheduled: boolean;
  waitingForDrain: boolean;
  closed: boolean;
}

const PAGE_LINES = 2000;

/**
 * Delivers every line of a job, in order and without gaps, to each subscribed connection. A fast
 * reader gets each batch as soon as it is stored; a slow one falls back to paging from the store
 * at its own pace, so a job printing faster than a client reads costs no daemon memory and loses nothing.
 */
export class LogHub implements LogListener {
  private readonly byJob = new Map<string, Map<number, Subscription>>();

  constructor(
    private readonly store: LogStore,
    private readonly lookup: JobLogStateLookup,
  ) {}

  /** Starts sending lines after `afterSeq` (default: only lines printed from now on). */
  subscribe(client: LogClient, jobId: string, afterSeq: number | undefined): void {
    const state = this.lookup(jobId);
    if (state === undefined) return;
    this.unsubscribe(client.id, jobId);
    let subs = this.byJob.get(jobId);
    if (subs === undefined) {
      subs = new Map();
      this.byJob.set(jobId, subs);
    }
    const sub: Subscription = {
      client,
      jobId,
      lastSent: afterSeq ?? state.storedSeq,
      live: false,
      pumpScheduled: false,
      waitingForDrain: false,
      closed: false,
    };
    subs.set(client.id, sub);
    this.schedulePump(sub);
  }

  unsubscribe(clientId: number, jobId: string): void {
    const sub = this.byJob.get(jobId)?.get(clientId);
    if (sub) this.close(sub);
  }

  removeClient(clientId: number): void {
    for (const subs of [...this.byJob.values()]) {
      const sub = subs.get(clientId);
      if (sub) this.close(sub);
    }
  }

  stored(jobId: string, lines: readonly StoredLine[]): void {
    const subs = this.byJob.get(jobId);
    if (subs === undefined || lines.length === 0) return;
    let dtos: LogLineDto[] | undefined;
    const last = lines[lines.length - 1].seq;
    for (const sub of subs.values()) {
      if (sub.live && lines[0].seq === sub.lastSent + 1 && !sub.client.congested()) {
        dtos ??= lines.map(toLogLineDto);
        sub.client.sendLines(jobId, dtos);
        sub.lastSent = last;
      } else if (last > sub.lastSent) {
        // Behind or congested: the pump replays from the store at the reader's pace.
        sub.live = false;
        this.schedulePump(sub);
      }
    }
  }

  /** The job has ended and all its lines are stored. */
  finished(jobId: string): void {
    const subs = this.byJob.get(jobId);
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
    const state = this.lookup(sub.jobId);
    if (state === undefined) {
      this.close(sub);
      return;
    }
    while (sub.lastSent < state.storedSeq) {
      if (this.waitIfCongested(sub)) return;
      const page = this.store.read(sub.jobId, sub.lastSent, PAGE_LINES);
      if (page.length === 0) break;
      sub.client.sendLines(sub.jobId, page.map(toLogLineDto));
      sub.lastSent = page[page.length - 1].seq;
    }
    if (state.finalSeq !== null && sub.lastSent >= state.finalSeq) {
      sub.client.sendEnd(sub.jobId, state.finalSeq);
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
    const subs = this.byJob.get(sub.jobId);
    if (subs?.get(sub.client.id) === sub) {
      subs.delete(sub.client.id);
      if (subs.size === 0) this.byJob.delete(sub.jobId);
    }
  }
}
