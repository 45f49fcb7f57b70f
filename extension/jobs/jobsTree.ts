import * as vscode from 'vscode';
import type { ExecutionDto, JobDto, JobStatus } from '../../daemon/protocol/dto';
import { isTerminalStatus } from '../../daemon/protocol/dto';
import { JobStatusChangedNotification, ListJobsRequest, SubscribeJobsRequest } from '../../daemon/protocol/jobs';
import type { DaemonConnection } from '../daemon/daemonConnection';
import { executionDescription, executionLabel, jobDescription, jobTooltip, sortJobs, statusLook } from './jobFormat';

const LIST_LIMIT = 200;

/** A job row; `job` is what context-menu commands receive. */
export class JobItem extends vscode.TreeItem {
  constructor(readonly job: JobDto, now: number, rerunnable: boolean) {
    // A job that ran more than once (retries, several servers) opens onto its executions.
    super(job.name, job.executions.length > 1 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    const look = statusLook(job.status);
    this.id = job.id;
    this.iconPath = new vscode.ThemeIcon(look.icon, look.color ? new vscode.ThemeColor(look.color) : undefined);
    this.description = jobDescription(job, now);
    this.tooltip = jobTooltip(job);
    // Menus in package.json key on these words: `active` → Cancel, `rerunnable` → Re-run.
    this.contextValue = ['job', isTerminalStatus(job.status) ? 'done' : 'active', rerunnable ? 'rerunnable' : ''].join(' ').trim();
    this.command = { command: 'cronium.jobs.showLog', title: 'Show Log', arguments: [this] };
  }
}

/** One execution of a job with several. */
export class ExecutionItem extends vscode.TreeItem {
  constructor(readonly job: JobDto, readonly execution: ExecutionDto, now: number) {
    super(executionLabel(execution), vscode.TreeItemCollapsibleState.None);
    const look = statusLook(execution.status);
    this.id = `${job.id}/${execution.id}`;
    this.iconPath = new vscode.ThemeIcon(look.icon, look.color ? new vscode.ThemeColor(look.color) : undefined);
    this.description = executionDescription(execution, now);
    this.tooltip = execution.lastError ?? execution.notice ?? undefined;
    this.contextValue = 'execution';
  }
}

type JobsTreeItem = JobItem | ExecutionItem;

/**
 * Jobs of the daemon, kept live by `jobs/didChangeStatus`. Jobs this window submits are added at once
 * from the `jobs/run` reply, so the view shows them before the first notification arrives.
 */
export class JobsModel implements vscode.TreeDataProvider<JobsTreeItem>, vscode.Disposable {
  private readonly jobs = new Map<string, JobDto>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly jobEmitter = new vscode.EventEmitter<JobDto>();
  private filter: ReadonlySet<JobStatus> | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** Every status change of any job. */
  readonly onDidChangeJob = this.jobEmitter.event;

  constructor(
    private readonly daemon: DaemonConnection,
    private readonly isRerunnable: (id: string) => boolean,
  ) {
    daemon.onSession(async (client, session) => {
      session.push(client.connection.onNotification(JobStatusChangedNotification, ({ job }) => this.upsert(job)));
      await client.request(SubscribeJobsRequest, {});
      const { jobs } = await client.request(ListJobsRequest, { limit: LIST_LIMIT });
      this.jobs.clear();
      for (const job of jobs) this.jobs.set(job.id, job);
      this.changed();
    });
  }

  upsert(job: JobDto): void {
    this.jobs.set(job.id, job);
    this.jobEmitter.fire(job);
    this.changed();
  }

  get(id: string): JobDto | undefined {
    return this.jobs.get(id);
  }

  runningCount(): number {
    let n = 0;
    for (const job of this.jobs.values()) if (job.status === 'running' || job.status === 'claimed') n++;
    return n;
  }

  setFilter(statuses: ReadonlySet<JobStatus> | undefined): void {
    this.filter = statuses && statuses.size > 0 ? statuses : undefined;
    void vscode.commands.executeCommand('setContext', 'cronium.jobs.filtered', this.filter !== undefined);
    this.changed();
  }

  get currentFilter(): ReadonlySet<JobStatus> | undefined {
    return this.filter;
  }

  getTreeItem(item: JobsTreeItem): JobsTreeItem {
    return item;
  }

  getChildren(parent?: JobsTreeItem): JobsTreeItem[] {
    if (!this.daemon.current) return [];
    const now = Date.now();
    if (parent instanceof ExecutionItem) return [];
    if (parent instanceof JobItem) {
      const job = this.jobs.get(parent.job.id) ?? parent.job;
      return job.executions.map((execution) => new ExecutionItem(job, execution, now));
    }
    return sortJobs(this.jobs.values())
      .filter((job) => !this.filter || this.filter.has(job.status))
      .map((job) => new JobItem(job, now, this.isRerunnable(job.id)));
  }

  private changed(): void {
    this.changeEmitter.fire();
    // Running jobs show a growing duration; refresh once a second only while any runs.
    if (this.runningCount() > 0 && !this.refreshTimer) {
      this.refreshTimer = setInterval(() => {
        if (this.runningCount() === 0) {
          clearInterval(this.refreshTimer);
          this.refreshTimer = undefined;
        }
        this.changeEmitter.fire();
      }, 1000);
    }
  }

  dispose(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.changeEmitter.dispose();
    this.jobEmitter.dispose();
  }
}
