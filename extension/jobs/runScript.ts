import * as vscode from 'vscode';
import type { JobDto, Target } from '../../daemon/protocol/dto';
import { RerunJobRequest, RunJobRequest, type RunJobParams, type RunJobResult } from '../../daemon/protocol/jobs';
import type { DaemonConnection } from '../daemon/daemonConnection';
import { editorScript } from './editorScript';
import { jobOutcome } from './jobFormat';
import type { JobLogs } from './jobLogs';
import type { JobsModel } from './jobsTree';

/** Runs editor text as jobs and reports their outcome. */
export class ScriptRunner {
  constructor(
    private readonly daemon: DaemonConnection,
    private readonly model: JobsModel,
    private readonly logs: JobLogs,
    private readonly defaultTarget: () => Target,
  ) {}

  /** The daemon keeps every job's script, so any job can be re-run, whoever started it. */
  canRerun(): boolean {
    return true;
  }

  /** Runs the active editor's text (saved or not) on `target`, default `cronium.defaultTarget`. */
  async runEditor(editor: vscode.TextEditor | undefined, target?: Target): Promise<JobDto> {
    return this.submit({ ...editorScript(editor, 'run it as a job'), target: target ?? this.defaultTarget() });
  }

  /** Runs the editor's script over SSH on these servers (names or ids), one execution each. */
  async runEditorOnServers(editor: vscode.TextEditor | undefined, servers: string[]): Promise<JobDto> {
    return this.submit({ ...editorScript(editor, 'run it on a server'), servers });
  }

  /** Runs a job again (a new job with the same script and options), as the daemon has it. */
  async rerun(jobId: string): Promise<JobDto> {
    const client = await this.daemon.require();
    return this.show(await client.request(RerunJobRequest, { id: jobId }));
  }

  private async submit(params: RunJobParams): Promise<JobDto> {
    const client = await this.daemon.require();
    return this.show(await client.request(RunJobRequest, params));
  }

  private async show({ job, notice }: RunJobResult): Promise<JobDto> {
    // Straight into the view from the reply: the 100 ms budget does not wait for a notification.
    if (!this.model.get(job.id)) this.model.upsert(job);
    if (notice) void vscode.window.showInformationMessage(notice);
    await this.logs.follow(job, true, (final) => this.finished(final));
    return job;
  }

  private finished(job: JobDto): void {
    this.model.upsert(job);
    if (job.status === 'succeeded' || job.status === 'cancelled') return;
    void vscode.window.showErrorMessage(jobOutcome(job), 'Show Log').then((pick) => {
      if (pick === 'Show Log') void this.logs.follow(job, true);
    });
  }
}
