import type { JobDto, LogLineDto } from '../../daemon/protocol/dto';
import { formatDuration } from './jobFormat';

/** ANSI sequences the job terminal uses; xterm.js understands all of them. */
const RED = '\x1b[31m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/**
 * Turns log lines into what a terminal expects. A pty's output already ends its lines with `\r`
 * (the newline went into the line split), so only `\n` is added there; plain pipes get `\r\n`, or
 * xterm.js would move down without returning to the first column. stderr, which a pty merges into
 * stdout and only `script` itself still uses, is shown red.
 */
export function renderTerminalLines(lines: readonly LogLineDto[]): string {
  let text = '';
  for (const line of lines) {
    const body = line.stream === 'stderr' ? `${RED}${line.text}${RESET}` : line.text;
    text += line.partial ? body : `${body}${line.text.endsWith('\r') ? '\n' : '\r\n'}`;
  }
  return text;
}

/** What the user's keystrokes mean: Ctrl-C ends the job (as in Code Runner), everything else is input. */
export type TerminalInput = { kind: 'cancel' } | { kind: 'stdin'; data: string };

export function classifyInput(data: string): TerminalInput {
  return data === '\x03' ? { kind: 'cancel' } : { kind: 'stdin', data };
}

/** The dim last line, e.g. `── job succeeded (exit 0) in 1.2 s`; it starts on a line of its own. */
export function terminalFinalLine(job: JobDto, atLineStart: boolean): string {
  const exit = job.exitCode !== null ? ` (exit ${job.exitCode})` : job.signal ? ` (${job.signal})` : '';
  const duration = job.durationMs !== null && job.status !== 'cancelled' ? ` in ${formatDuration(job.durationMs)}` : '';
  const what = job.status === 'timed_out' ? 'timed out' : job.status;
  return `${atLineStart ? '' : '\r\n'}${DIM}── job ${what}${exit}${duration}${RESET}\r\n`;
}

/** A one-line error in the terminal (submission failed, input refused). */
/** A line from Cronium before the job's output, e.g. why `auto` ran it on the host. */
export function terminalNotice(message: string): string {
  return `${DIM}${message.replace(/\r?\n/g, '\r\n')}${RESET}\r\n`;
}

export function terminalError(message: string): string {
  return `${RED}${message.replace(/\r?\n/g, '\r\n')}${RESET}\r\n`;
}

/** True when the text written so far ends a line, so the final line needs no line break of its own. */
export function endsLine(lines: readonly LogLineDto[], before: boolean): boolean {
  return lines.length === 0 ? before : !lines[lines.length - 1].partial;
}
