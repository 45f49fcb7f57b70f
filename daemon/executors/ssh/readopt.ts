import type { Execution, ExecutionHooks, ExecutionResult, LostExecution } from '../executor';
import { execQuiet, resultOf } from './channels';
import { followCommand, signalCommand } from './remoteScript';
import type { Lease } from './serverPool';
import { describeServer, SshFailure, type SshServerConfig } from './sshServer';

/**
 * A re-adopted execution (SshExecutor.recover): its files followed from the bytes its log already holds
 * to its end, the folder then removed; a stop signals its process group as for a fresh one.
 */
export function followLost(lost: LostExecution, hooks: ExecutionHooks, lease: Lease, server: SshServerConfig): Execution {
  const sent = new Set<'TERM' | 'KILL'>();
  let killTimer: NodeJS.Timeout | undefined;
  const signal = (name: 'TERM' | 'KILL'): void => {
    sent.add(name);
    void execQuiet(lease, signalCommand(lost.executionId, name)).catch(() => undefined);
  };
  const done = new Promise<ExecutionResult>((resolve) => {
    lease.connection.client.exec(followCommand(lost.executionId, lost.storedBytes.stdout, lost.storedBytes.stderr), (error, channel) => {
      if (error) {
        lease.release();
        resolve({ exitCode: null, signal: null, spawnError: new SshFailure('ssh_unreachable', `Cannot follow the job on ${describeServer(server)} again: ${error.message}`) });
        return;
      }
      let exit: { code: number | null; signal: string | null } = { code: null, signal: null };
      channel.on('data', (chunk: Buffer) => hooks.onOutput('stdout', chunk));
      channel.stderr.on('data', (chunk: Buffer) => hooks.onOutput('stderr', chunk));
      channel.on('exit', (code: number | null, signalName?: string) => (exit = { code, signal: signalName ?? null }));
      channel.on('close', () => {
        clearTimeout(killTimer);
        lease.release();
        if (exit.code === 201 || exit.code === 200) {
          resolve({ exitCode: null, signal: null, spawnError: new SshFailure('ssh_unreachable', `The job's end on ${describeServer(server)} was never written (the server restarted?)`) });
        } else resolve(resultOf(exit, sent, server));
      });
      channel.end();
    });
  });
  return {
    done,
    stop: (graceMs) => {
      if (graceMs <= 0) return signal('KILL');
      if (!sent.has('TERM')) signal('TERM');
      killTimer ??= setTimeout(() => signal('KILL'), graceMs);
    },
  };
}
