import { CroniumError, jobNotFound } from '../errors';
import { isTerminalStatus } from '../protocol/dto';
import { ErrorCodes } from '../protocol/errors';
import type { TerminalSize } from '../protocol/jobs';
import type { JobStore } from '../store/jobStore';
import type { RunTable } from './runTable';

/**
 * Interactive jobs: their terminal size until they end, what is typed into them, and resizes. Kept in
 * memory only: stdin cannot outlive the daemon anyway.
 */
export class Terminals {
  private readonly sizes = new Map<string, TerminalSize>();

  constructor(
    private readonly jobs: JobStore,
    private readonly runs: RunTable,
  ) {}

  /** Marks a job interactive, with its terminal's size at start. */
  open(jobId: string, size: TerminalSize): void {
    this.sizes.set(jobId, size);
  }

  sizeOf(jobId: string): TerminalSize | undefined {
    return this.sizes.get(jobId);
  }

  forget(jobId: string): void {
    this.sizes.delete(jobId);
  }

  /** Writes to the stdin of a running interactive job; `StdinClosed` when it takes no input. */
  writeStdin(jobId: string, data: string, eof: boolean): void {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw jobNotFound(jobId);
    const run = this.runs.ofJob(jobId)[0];
    if (run === undefined || !this.sizes.has(jobId) || !run.writeStdin(data, eof)) {
      const why = !this.sizes.has(jobId) && run !== undefined ? 'was not started interactive' : `takes no input (${job.status})`;
      throw new CroniumError(ErrorCodes.StdinClosed, 'stdin_closed', `Job ${jobId} ${why}`, {
        jobId,
        status: job.status,
        hint: { action: 'run_interactive' },
      });
    }
  }

  /**
   * Sets the size of an interactive job's terminal: at once when it runs, at its start when it waits.
   * `NoTerminal` when the job has none (not interactive, or ended).
   */
  resize(jobId: string, size: TerminalSize): void {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw jobNotFound(jobId);
    const interactive = this.sizes.has(jobId);
    const run = this.runs.ofJob(jobId)[0];
    const waiting = job.status === 'queued' || (run !== undefined && !run.started);
    if (!interactive || (!waiting && (run === undefined || !run.resize(size)))) {
      const why = interactive || isTerminalStatus(job.status) ? `is not running (${job.status})` : 'was not started interactive';
      throw new CroniumError(ErrorCodes.NoTerminal, 'no_terminal', `Job ${jobId} has no terminal to resize: it ${why}`, {
        jobId,
        status: job.status,
      });
    }
    this.sizes.set(jobId, size);
  }
}
