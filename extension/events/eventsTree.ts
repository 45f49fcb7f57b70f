import * as vscode from 'vscode';
import { isTerminalStatus, type JobDto } from '../../daemon/protocol/dto';
import { EventChangedNotification, GetEventRequest, ListEventsRequest, type EventDto, type EventStatus } from '../../daemon/protocol/events';
import type { DaemonConnection } from '../daemon/daemonConnection';
import type { JobsModel } from '../jobs/jobsTree';
import { eventDescription, lastRun, outcomeMark, STATUS_ORDER, statusTitle } from './eventFormat';

/** A group of the view: the events of one status. */
export class EventGroupItem extends vscode.TreeItem {
  constructor(
    readonly status: EventStatus,
    count: number,
  ) {
    super(`${statusTitle(status)} (${count})`, status === 'active' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `group/${status}`;
    this.contextValue = 'eventGroup';
  }
}

/** An event row; `event` is what its commands receive. */
export class EventItem extends vscode.TreeItem {
  constructor(
    readonly event: EventDto,
    now: number,
  ) {
    super(event.name, vscode.TreeItemCollapsibleState.None);
    this.id = event.id;
    this.description = eventDescription(event, now);
    const last = lastRun(event);
    const icon =
      last === undefined ? 'calendar' : last.outcome === 'succeeded' ? 'pass' : ['failed', 'timed_out', 'partial'].includes(last.outcome) ? 'error' : 'sync';
    const color = icon === 'pass' ? 'testing.iconPassed' : icon === 'error' ? 'testing.iconFailed' : undefined;
    this.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const lines = [`${event.name} (${event.id})`, `${event.type}, ${event.target}: ${event.scheduleText}`];
    if (event.nextRuns.length > 0) lines.push(`next: ${event.nextRuns.slice(0, 3).join(', ')}`);
    if (last) lines.push(`last: ${outcomeMark(last.outcome)} ${last.outcome} at ${last.firedAt ?? last.scheduledFor}`);
    if (event.file) lines.push(event.file);
    this.tooltip = lines.join('\n');
    // Menus in package.json key on these words: `active` → Pause, `paused`/`draft` → Resume, `file` → Open Script.
    this.contextValue = ['event', event.status, event.file ? 'file' : ''].join(' ').trim();
    this.command = { command: 'cronium.events.history', title: 'History', arguments: [this] };
  }
}

type EventsTreeItem = EventGroupItem | EventItem;

/**
 * The daemon's events, grouped by status, kept live by `events/didChange` and by the end of their jobs
 * (which changes an event's last result and next run).
 */
export class EventsModel implements vscode.TreeDataProvider<EventsTreeItem>, vscode.Disposable {
  private readonly events = new Map<string, EventDto>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly failedEmitter = new vscode.EventEmitter<{ event: EventDto; job: JobDto }>();
  private readonly disposables: vscode.Disposable[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** A job of an event ended failed, timed out or partial. */
  readonly onDidFail = this.failedEmitter.event;

  constructor(
    private readonly daemon: DaemonConnection,
    jobs: JobsModel,
  ) {
    daemon.onSession(async (client, session) => {
      session.push(
        client.connection.onNotification(EventChangedNotification, ({ event, deleted }) => {
          if (deleted) this.events.delete(event.id);
          else this.events.set(event.id, { ...event, slots: this.events.get(event.id)?.slots ?? event.slots });
          this.changed();
        }),
      );
      await this.refresh();
    });
    this.disposables.push(
      jobs.onDidChangeJob((job) => {
        if (job.eventId === null || !isTerminalStatus(job.status)) return;
        void this.reload(job.eventId);
        const event = this.events.get(job.eventId);
        if (event && ['failed', 'timed_out', 'partial'].includes(job.status)) this.failedEmitter.fire({ event, job });
      }),
    );
    // Relative times ("next in 5m") age: redraw once a minute while the view has events.
    this.refreshTimer = setInterval(() => {
      if (this.events.size > 0) this.changeEmitter.fire();
    }, 60_000);
  }

  all(): EventDto[] {
    return [...this.events.values()];
  }

  get(id: string): EventDto | undefined {
    return this.events.get(id);
  }

  /** The events that run this file. */
  forFile(path: string): EventDto[] {
    return this.all().filter((e) => e.file === path);
  }

  async refresh(): Promise<void> {
    const client = this.daemon.current;
    if (!client) return;
    const { events } = await client.request(ListEventsRequest, {});
    this.events.clear();
    // The list carries no slots; the last results come with each event's own answer.
    await Promise.all(
      events.map(async (e) => {
        this.events.set(e.id, (await client.request(GetEventRequest, { event: e.id })).event);
      }),
    );
    this.changed();
  }

  /** Fetches one event again (with its slots). */
  async reload(id: string): Promise<EventDto | undefined> {
    const client = this.daemon.current;
    if (!client) return undefined;
    try {
      const { event } = await client.request(GetEventRequest, { event: id });
      this.events.set(id, event);
      this.changed();
      return event;
    } catch {
      this.events.delete(id);
      this.changed();
      return undefined;
    }
  }

  upsert(event: EventDto): void {
    this.events.set(event.id, event);
    this.changed();
  }

  /** The next due run of all active events, for the status bar. */
  nextDue(): { event: EventDto; at: string } | undefined {
    let next: { event: EventDto; at: string } | undefined;
    for (const event of this.events.values()) {
      const at = event.nextRuns[0];
      if (at && (!next || Date.parse(at) < Date.parse(next.at))) next = { event, at };
    }
    return next;
  }

  getTreeItem(item: EventsTreeItem): EventsTreeItem {
    return item;
  }

  getChildren(parent?: EventsTreeItem): EventsTreeItem[] {
    if (!this.daemon.current) return [];
    const now = Date.now();
    if (parent instanceof EventItem) return [];
    const sorted = this.all().sort((a, b) => a.name.localeCompare(b.name));
    if (parent instanceof EventGroupItem) return sorted.filter((e) => e.status === parent.status).map((e) => new EventItem(e, now));
    return STATUS_ORDER.map((status) => ({ status, count: sorted.filter((e) => e.status === status).length }))
      .filter((g) => g.count > 0)
      .map((g) => new EventGroupItem(g.status, g.count));
  }

  dispose(): void {
    clearInterval(this.refreshTimer);
    this.changeEmitter.dispose();
    this.failedEmitter.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private changed(): void {
    this.changeEmitter.fire();
  }
}
