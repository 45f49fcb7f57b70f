import type { ExecutionResult } from '../executor';
import type { Lease } from './serverPool';
import { describeServer, SshFailure, type SshServerConfig } from './sshServer';

/** sh reports a job killed by signal N as 128 + N. */
const SIGNAL_EXIT = { TERM: 143, KILL: 137 } as const;

/** How the job ended, from the channel's exit: a code of 128 + N right after we sent signal N is that signal. */
export function resultOf(exit: { code: number | null; signal: string | null }, sent: ReadonlySet<'TERM' | 'KILL'>, server: SshServerConfig): ExecutionResult {
  if (exit.signal !== null) return { exitCode: null, signal: `SIG${exit.signal}` as NodeJS.Signals };
  if (exit.code === null) {
    return {
      exitCode: null,
      signal: null,
      spawnError: new SshFailure('ssh_unreachable', `The connection to ${describeServer(server)} was lost while the job ran; it may still run there`),
    };
  }
  if (sent.has('KILL') && exit.code === SIGNAL_EXIT.KILL) return { exitCode: null, signal: 'SIGKILL' };
  if (sent.has('TERM') && exit.code === SIGNAL_EXIT.TERM) return { exitCode: null, signal: 'SIGTERM' };
  return { exitCode: exit.code, signal: null };
}

/** Runs a command with `input` on its stdin, its output ignored; resolves with its exit code. */
export function execWithInput(lease: Lease, command: string, input: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    lease.connection.client.exec(command, (error, stream) => {
      if (error) return reject(error);
      let code: number | null = null;
      stream.on('exit', (c: number | null) => (code = c));
      stream.on('close', () => resolve(code));
      stream.resume();
      stream.stderr.resume();
      stream.end(input);
    });
  });
}

/** Runs a short command on a leased connection, its output ignored; resolves with its exit code. */
export function execQuiet(lease: Lease, command: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    lease.connection.client.exec(command, (error, stream) => {
      if (error) return reject(error);
      let code: number | null = null;
      stream.on('exit', (c: number | null) => (code = c));
      stream.on('close', () => resolve(code));
      stream.resume();
      stream.stderr.resume();
      stream.end();
    });
  });
}
