import { createWriteStream, renameSync, statSync, type WriteStream } from 'node:fs';
import { errnoCode } from './errors';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The daemon's own log (`$CRONIUM_HOME/logs/daemon.log`), one line per event. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  close(): Promise<void>;
}

/** Beyond this size the previous log is kept as `daemon.log.1` and a new one is started. */
const ROTATE_BYTES = 10 * 1024 * 1024;

export function openFileLogger(file: string, options: { echo: boolean; debug: boolean }): Logger {
  rotateIfLarge(file);
  const stream: WriteStream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  const write = (level: LogLevel, message: string): void => {
    if (level === 'debug' && !options.debug) return;
    const line = `${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`;
    stream.write(line);
    if (options.echo) process.stderr.write(line);
  };
  return {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
    close: () => new Promise((resolve) => stream.end(resolve)),
  };
}

function rotateIfLarge(file: string): void {
  try {
    if (statSync(file).size > ROTATE_BYTES) renameSync(file, `${file}.1`);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}
