import {
  daemonErrorData,
  DaemonDidNotStopError,
  DaemonNotRunningError,
  DaemonStartError,
  DaemonUnresponsiveError,
  errorHint,
  ProtocolMismatchError,
} from '../daemon/client/errors';
import type { ErrorHint } from '../daemon/protocol/errors';
import { NodeNotFoundError } from './daemon/findNode';
import { UserError } from './errors';

/** A button on an error message: the command it runs. */
export interface ErrorAction {
  title: string;
  command: string;
  args?: unknown[];
  /** Run the failed command again once this one succeeded (e.g. after starting the daemon). */
  retry?: boolean;
}

/** An error as this extension shows it. */
export interface ShownError {
  severity: 'error' | 'warning';
  message: string;
  actions: ErrorAction[];
}

const SHOW_LOG: ErrorAction = { title: 'Show Daemon Log', command: 'cronium.daemon.showLog' };
const RESTART: ErrorAction = { title: 'Restart Daemon', command: 'cronium.daemon.restart' };

/**
 * The one place errors get the extension's words and buttons. The daemon and the connection library
 * state facts with a kind and a hint; a VS Code user gets commands and settings, never CLI syntax.
 */
export function shownError(e: unknown): ShownError {
  if (DaemonNotRunningError.is(e)) {
    const message = e.lost ? 'The Cronium daemon went away.' : 'The Cronium daemon is not running.';
    return warning(message, { title: 'Start Daemon', command: 'cronium.daemon.start', retry: true });
  }
  if (NodeNotFoundError.is(e)) {
    return error(e.message, { title: 'Set Node Path', command: 'workbench.action.openSettings', args: ['cronium.daemon.nodePath'] });
  }
  if (DaemonUnresponsiveError.is(e)) {
    // Recovery ends by itself: the advice is to wait, not to restart and lose the jobs it is finding.
    if (e.state === 'recovering') return warning(`${e.message}. Try again in a minute.`, SHOW_LOG);
    return error(`${e.message}. See the daemon log, then restart it.`, SHOW_LOG, RESTART);
  }
  if (ProtocolMismatchError.is(e)) return error(`${e.message}. Restart it to run this version.`, RESTART);
  if (DaemonStartError.is(e)) return error(e.message, SHOW_LOG);
  if (DaemonDidNotStopError.is(e)) return error(`${e.message}. See the daemon log.`, SHOW_LOG);
  if (UserError.is(e)) return warning(e.message);
  const data = daemonErrorData(e);
  if (data !== undefined) {
    const message = e instanceof Error ? e.message : String(e);
    const hint = errorHint(e);
    if (hint === undefined) return error(`Cronium: ${message}`);
    const advice = hintAdvice(hint, typeof data.target === 'string' ? data.target : undefined);
    return error(`Cronium: ${message}${advice.text === undefined ? '' : `. ${advice.text}`}`, ...advice.actions);
  }
  return error(`Cronium: ${e instanceof Error ? e.message : String(e)}`);
}

/** The advice for a daemon hint, as words and buttons of this extension. */
export function hintAdvice(hint: ErrorHint, target?: string): { text?: string; actions: ErrorAction[] } {
  switch (hint.action) {
    case 'list_jobs':
      return { actions: [{ title: 'Show Jobs', command: 'cronium.jobs.focus' }] };
    case 'list_variables':
      return { actions: [{ title: 'Show Variables', command: 'cronium.variables.focus' }] };
    case 'name_runtime':
      return { text: 'Save it as .sh, .py or .js, pick its language, or give it a shebang line', actions: [] };
    case 'choose_target': {
      const runOn: ErrorAction = { title: 'Run on…', command: 'cronium.jobs.runCurrentScriptOn' };
      // The daemon's reason says what is wrong with Docker; the buttons are the ways out.
      if (target !== 'container') return { actions: [runOn] };
      return { actions: [{ title: 'Docker Settings', command: 'workbench.action.openSettings', args: ['cronium.docker.host'] }, runOn] };
    }
    case 'restart_daemon':
      return { text: 'Restart it to run this version', actions: [RESTART] };
    case 'run_interactive':
      return { text: 'Run it with Run Current Script in Terminal to type into it', actions: [] };
    case 'list_servers':
      return { actions: [{ title: 'Show Servers', command: 'cronium.servers.focus' }] };
    case 'trust_server':
      return { text: `Check that ${hint.fingerprint} is the key of ${hint.server}, then trust it`, actions: [] };
  }
}

function error(message: string, ...actions: ErrorAction[]): ShownError {
  return { severity: 'error', message, actions };
}

function warning(message: string, ...actions: ErrorAction[]): ShownError {
  return { severity: 'warning', message, actions };
}
