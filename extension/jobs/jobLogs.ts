import * as vscode from 'vscode';
import type { JobDto, LogLineDto } from '../../daemon/protocol/dto';
import { GetJobRequest } from '../../daemon/protocol/jobs';
import { LogsAppendedNotification, LogsEndedNotification, ReadLogsRequest, SubscribeLogsRequest } from '../../daemon/protocol/logs';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import type { DaemonConnection } from '../daemon/daemonConnection';
import { jobOutcome, renderLines } from './jobFormat';

/** Output channels are not free in the UI's channel list: keep the newest few. */
const MAX_CHANNELS = 20;

interface JobChannel {
  channel: vscode.OutputChannel;
  atLineStart: boolean;
  following: boolean;
  onEnd?: (job: JobDto) => void;
  /** While earlier lines are read in: live lines wait here, so the channel stays in order. */
  pending?: LogLineDto[];
  backfilled?: Promise<void>;
}

/** Where {@link JobLogs.stream} delivers a job's lines instead of an output channel. */
export interface LogSink {
  lines(lines: LogLineDto[]): void;
  /** Once, with the final job, after its last line. */
  end(job: JobDto): void;
}

/**
 * One output channel per job, fed by `logs/subscribe` from the job's first line on. It also feeds
 * other views of a job's log (the job terminal): a JSON-RPC connection keeps one handler per
 * notification, so every log consumer of the window goes through here.
 */
export class JobLogs implements vscode.Disposable {
  private readonly channels = new Map<string, JobChannel>();
  private readonly sinks = new Map<string, LogSink>();

  constructor(private readonly daemon: DaemonConnection) {
    daemon.onSession((client, session) => {
      session.push(
        client.connection.onNotification(LogsAppendedNotification, ({ jobId, lines }) => this.append(jobId, lines)),
        client.connection.onNotification(LogsEndedNotification, ({ jobId }) => void this.ended(client, jobId)),
      );
      // Streams cut by a daemon restart resume from the store: nothing printed twice, nothing lost.
      for (const [jobId, entry] of this.channels) {
        if (entry.following) void this.subscribe(client, jobId).catch(() => undefined);
      }
      for (const jobId of this.sinks.keys()) void this.subscribe(client, jobId).catch(() => undefined);
    });
  }

  /** Opens (or reveals) the job's channel and streams its log; `onEnd` runs once with the final job. */
  async follow(job: JobDto, reveal: boolean, onEnd?: (job: JobDto) => void): Promise<void> {
    let entry = this.channels.get(job.id);
    if (!entry) {
      entry = { channel: vscode.window.createOutputChannel(channelName(job)), atLineStart: true, following: true, onEnd };
      this.channels.set(job.id, entry);
      this.trim();
      // A job shown in a terminal is subscribed already; subscribing again would replay its lines there.
      // Its channel gets the lines printed so far from the store, then the live ones.
      if (this.sinks.has(job.id)) {
        entry.pending = [];
        entry.backfilled = this.backfill(job.id, entry, this.lastSeq.get(job.id) ?? 0);
      } else {
        const client = await this.daemon.require();
        await this.subscribe(client, job.id);
      }
    }
    if (reveal) entry.channel.show(true);
  }

  /** Streams the job's log, from its first line, to `sink` until it ends or the result is disposed. */
  async stream(jobId: string, sink: LogSink): Promise<vscode.Disposable> {
    this.sinks.set(jobId, sink);
    const client = await this.daemon.require();
    await this.subscribe(client, jobId);
    return new vscode.Disposable(() => {
      if (this.sinks.get(jobId) !== sink) return;
      this.sinks.delete(jobId);
      this.lastSeq.delete(jobId);
    });
  }

  channelNameOf(job: JobDto): string {
    return channelName(job);
  }

  private lastSeq = new Map<string, number>();

  private async subscribe(client: DaemonClient, jobId: string): Promise<void> {
    await client.request(SubscribeLogsRequest, { jobId, afterSeq: this.lastSeq.get(jobId) ?? 0 });
  }

  private append(jobId: string, lines: LogLineDto[]): void {
    const sink = this.sinks.get(jobId);
    if (sink !== undefined && lines.length > 0) {
      sink.lines(lines);
      this.lastSeq.set(jobId, lines[lines.length - 1].seq);
    }
    const entry = this.channels.get(jobId);
    if (!entry || lines.length === 0) return;
    this.lastSeq.set(jobId, lines[lines.length - 1].seq);
    if (entry.pending !== undefined) entry.pending.push(...lines);
    else write(entry, lines);
  }

  /** Fills a channel with the stored lines up to `upTo`, then with the live ones that came meanwhile. */
  private async backfill(jobId: string, entry: JobChannel, upTo: number): Promise<void> {
    try {
      const client = await this.daemon.require();
      let after = 0;
      while (after < upTo) {
        const page = await client.request(ReadLogsRequest, { jobId, afterSeq: after, limit: 5000 });
        write(entry, page.lines.filter((line) => line.seq <= upTo));
        if (page.atEnd || page.lines.length === 0) break;
        after = page.nextSeq;
      }
    } catch {
      // The daemon went away: the channel shows what arrives from now on.
    } finally {
      const live = entry.pending ?? [];
      entry.pending = undefined;
      write(entry, live.filter((line) => line.seq > upTo));
    }
  }

  private async ended(client: DaemonClient, jobId: string): Promise<void> {
    const sink = this.sinks.get(jobId);
    if (sink !== undefined) {
      this.sinks.delete(jobId);
      this.lastSeq.delete(jobId);
      sink.end(await client.request(GetJobRequest, { id: jobId }));
    }
    const entry = this.channels.get(jobId);
    if (!entry || !entry.following) return;
    entry.following = false;
    await entry.backfilled;
    const job = await client.request(GetJobRequest, { id: jobId });
    if (!entry.atLineStart) entry.channel.append('\n');
    entry.channel.appendLine(`── ${jobOutcome(job)}`);
    entry.onEnd?.(job);
  }

  private trim(): void {
    while (this.channels.size > MAX_CHANNELS) {
      const [oldest, entry] = this.channels.entries().next().value as [string, JobChannel];
      entry.channel.dispose();
      this.channels.delete(oldest);
      this.lastSeq.delete(oldest);
    }
  }

  dispose(): void {
    for (const entry of this.channels.values()) entry.channel.dispose();
    this.channels.clear();
  }
}

function write(entry: JobChannel, lines: LogLineDto[]): void {
  if (lines.length === 0) return;
  const rendered = renderLines(lines, entry.atLineStart);
  entry.atLineStart = rendered.atLineStart;
  entry.channel.append(rendered.text);
}

function channelName(job: JobDto): string {
  return `Cronium: ${job.name} (${job.id.slice(0, 8)})`;
}
