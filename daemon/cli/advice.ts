import { ResponseError } from 'vscode-jsonrpc';
import {
  daemonErrorData,
  DaemonDidNotStopError,
  DaemonNotRunningError,
  DaemonStartError,
  DaemonUnresponsiveError,
  errorHint,
  ProtocolMismatchError,
} from '../client/errors';
import { homeFiles } from '../client/homeLayout';
import type { ErrorHint } from '../protocol/errors';

/** Daemon error kinds that mean the command was typed wrong (exit 2). */
const USAGE_KINDS = new Set(['invalid_params', 'runtime_unavailable']);

/** What the CLI prints for an error (after `cronium: `) and the exit code it ends with. */
export interface CliErrorReport {
  text: string;
  exitCode: 1 | 2;
}

/**
 * The one place daemon and connection errors get the CLI's advice: the daemon states a fact and a
 * hint, and this says what to type. `Error`s of other kinds are printed as they are.
 */
export function cliErrorReport(e: unknown): CliErrorReport {
  if (e instanceof ResponseError) {
    const data = daemonErrorData(e);
    const hint = errorHint(e);
    const advice = hint === undefined ? undefined : hintAdvice(hint);
    return { text: withAdvice(e.message, advice), exitCode: data !== undefined && USAGE_KINDS.has(data.kind) ? 2 : 1 };
  }
  return { text: connectionErrorText(e), exitCode: 1 };
}

/** The advice for a daemon hint, as a command to type. */
export function hintAdvice(hint: ErrorHint): string {
  switch (hint.action) {
    case 'list_jobs':
      return 'list jobs with `cronium jobs`';
    case 'list_variables':
      return 'list them with `cronium vars list`';
    case 'name_runtime':
      return `pass --runtime ${hint.runtimes.join('|')} or start it with a shebang`;
    case 'choose_target':
      return `use --target ${hint.targets.join('|')} instead`;
    case 'restart_daemon':
      return 'stop it with `cronium daemon stop`, and the next command starts this version';
    case 'run_interactive':
      return 'run it with `cronium run -i` to type into it';
    case 'list_servers':
      return 'list them with `cronium servers list`';
    case 'trust_server':
      return `check that ${hint.fingerprint} is the server's key (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on it), then \`cronium servers trust ${hint.server} --fingerprint ${hint.fingerprint}\``;
  }
}

function connectionErrorText(e: unknown): string {
  if (DaemonNotRunningError.is(e)) return withAdvice(e.message, 'start it with `cronium daemon start`');
  if (DaemonUnresponsiveError.is(e)) {
    const look = `see \`cronium daemon status\` and ${homeFiles(e.home).daemonLog}`;
    return withAdvice(e.message, e.state === 'recovering' ? `wait for it, or ${look}` : look);
  }
  if (ProtocolMismatchError.is(e)) return withAdvice(e.message, hintAdvice({ action: 'restart_daemon' }));
  if (DaemonStartError.is(e)) return withAdvice(e.message, `see ${homeFiles(e.home).daemonLog}`);
  if (DaemonDidNotStopError.is(e)) return withAdvice(e.message, `kill it with \`kill ${e.pid}\``);
  return e instanceof Error ? e.message : String(e);
}

/** `message — advice`; `message; advice` when the message has a dash of its own already. */
function withAdvice(message: string, advice: string | undefined): string {
  if (advice === undefined) return message;
  return message.includes(' — ') ? `${message}; ${advice}` : `${message} — ${advice}`;
}
