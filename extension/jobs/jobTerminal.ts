import * as vscode from 'vscode';
import type { JobDto, LogLineDto, Target } from '../../daemon/protocol/dto';
import { CancelJobRequest, ResizeTerminalRequest, RunJobRequest, WriteStdinRequest, type RunJobParams } from '../../daemon/protocol/jobs';
import type { DaemonConnection } from '../daemon/daemonConnection';
import { shownError } from '../errorAdvice';
import { editorScript } from './editorScript';
import type { JobLogs } from './jobLogs';
import type { JobsModel } from './jobsTree';
import { classifyInput, endsLine, renderTerminalLines, terminalError, terminalFinalLine, terminalNotice } from './terminalFormat';

/** Runs editor text as interactive jobs, each in a terminal of its own (Run in Terminal). */
export class JobTerminals {
  constructor(
    private readonly daemon: DaemonConnection,
    private readonly model: JobsModel,
    private readonly logs: JobLogs,
    private readonly defaultTarget: () => Target,
  ) {}

  /** Opens a terminal running the editor's text; resolves with the job id once the daemon took it. */
  async runEditor(editor: vscode.TextEditor | undefined): Promise<string> {
    const params: RunJobParams = {
      ...editorScript(editor, 'run it in a terminal'),
      // The same target as Run as Job: in a container (with a terminal inside it) when Docker answers.
      target: this.defaultTarget(),
      interactive: true,
    };
    const session = new TerminalSession(this.daemon, this.logs, params, (job) => this.model.upsert(job));
    const terminal = vscode.window.createTerminal({ name: `Cronium: ${params.name ?? params.runtime}`, pty: session });
    terminal.show();
    return session.submitted;
  }
}

/** Resizes come in bursts while a panel is dragged: only the size it settles at is sent. */
const RESIZE_SETTLE_MS = 100;

/** One terminal and the job it runs; the terminal stays open after the job until the user closes it. */
class TerminalSession implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly submitted: Promise<string>;
  private resolveSubmitted!: (id: string) => void;
  private rejectSubmitted!: (e: unknown) => void;
  private job: JobDto | undefined;
  private ended = false;
  private atLineStart = true;
  private stream: vscode.Disposable | undefined;
  // Keystrokes reach the job in the order typed, one request after the other.
  private input: Promise<void> = Promise.resolve();
  /** The terminal's size; a change while the job runs is sent once the user stops dragging. */
  private size: vscode.TerminalDimensions | undefined;
  private sizeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly daemon: DaemonConnection,
    private readonly logs: JobLogs,
    private readonly params: RunJobParams,
    private readonly onJob: (job: JobDto) => void,
  ) {
    this.submitted = new Promise((resolve, reject) => {
      this.resolveSubmitted = resolve;
      this.rejectSubmitted = reject;
    });
  }

  /** The job starts only now: the terminal's size is known and its output has somewhere to go. */
  open(dimensions: vscode.TerminalDimensions | undefined): void {
    this.size = dimensions;
    const terminalSize = dimensions ? { columns: dimensions.columns, rows: dimensions.rows } : undefined;
    void this.start({ ...this.params, ...(terminalSize ? { terminalSize } : {}) });
  }

  /** The panel or window was resized: the job's terminal follows, so full-screen programs redraw. */
  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.size = dimensions;
    clearTimeout(this.sizeTimer);
    this.sizeTimer = setTimeout(() => void this.sendSize(), RESIZE_SETTLE_MS);
  }

  private async sendSize(): Promise<void> {
    const job = this.job;
    const size = this.size;
    if (job === undefined || size === undefined || this.ended) return;
    try {
      const client = await this.daemon.require();
      await client.request(ResizeTerminalRequest, { id: job.id, columns: size.columns, rows: size.rows });
    } catch {
      // The job ended meanwhile: nothing to resize.
    }
  }

  private async start(params: RunJobParams): Promise<void> {
    try {
      const client = await this.daemon.require();
      const { job, notice } = await client.request(RunJobRequest, params);
      this.job = job;
      if (notice) this.writeEmitter.fire(terminalNotice(notice));
      // Resized while the job was being submitted: it started with the old size.
      const size = this.size;
      if (size !== undefined && (size.columns !== params.terminalSize?.columns || size.rows !== params.terminalSize?.rows)) void this.sendSize();
      this.onJob(job);
      this.stream = await this.logs.stream(job.id, {
        lines: (lines) => this.show(lines),
        end: (final) => this.finish(final),
      });
      this.resolveSubmitted(job.id);
    } catch (e) {
      this.ended = true;
      this.writeEmitter.fire(terminalError(shownError(e).message));
      this.rejectSubmitted(e);
    }
  }

  handleInput(data: string): void {
    const job = this.job;
    if (job === undefined || this.ended) return;
    const input = classifyInput(data);
    if (input.kind === 'cancel') {
      this.writeEmitter.fire('^C');
      void this.cancel(job.id);
      return;
    }
    this.input = this.input.then(async () => {
      try {
        const client = await this.daemon.require();
        await client.request(WriteStdinRequest, { id: job.id, data: input.data });
      } catch (e) {
        // The job may have ended between the keystroke and the request: nothing to tell then.
        if (!this.ended) this.writeEmitter.fire(terminalError(`Input not delivered: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  }

  /** Closing the terminal while the job runs cancels it: nobody could answer its prompts any more. */
  close(): void {
    clearTimeout(this.sizeTimer);
    this.stream?.dispose();
    if (this.job !== undefined && !this.ended) void this.cancel(this.job.id);
    this.writeEmitter.dispose();
  }

  private show(lines: LogLineDto[]): void {
    this.atLineStart = endsLine(lines, this.atLineStart);
    this.writeEmitter.fire(renderTerminalLines(lines));
  }

  private finish(job: JobDto): void {
    this.ended = true;
    this.stream?.dispose();
    this.onJob(job);
    this.writeEmitter.fire(terminalFinalLine(job, this.atLineStart));
  }

  private async cancel(id: string): Promise<void> {
    try {
      const client = await this.daemon.require();
      this.onJob(await client.request(CancelJobRequest, { id }, { timeoutMs: 'unbounded' }));
    } catch {
      // Already ended: its final line says how.
    }
  }
}
