import type { DaemonOptions, startDaemon } from '../daemon';
import { cliLaunch } from './context';

/**
 * Runs the daemon in this process, as `cronium daemon start --foreground` does. The daemon bundle is
 * loaded at run time from its path, which esbuild cannot follow: the CLI bundle carries the protocol
 * client, not the daemon (its queue, store, executors and their dependencies).
 */
export function runDaemonInThisProcess(options: DaemonOptions): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: a run-time load, on purpose
  const bundle = require(cliLaunch().script) as { startDaemon: typeof startDaemon };
  return bundle.startDaemon(options);
}
