import { resolveHome } from '../home';
import type { DaemonClient } from './client';
import { connectOrStart } from './daemonControl';

/** What every command needs: the home and a way to reach its daemon. */
export interface CliContext {
  home: string;
  /** Connects, starting the daemon in the background when it is not running. */
  client(): Promise<DaemonClient>;
  /** Closes the connection, if any: on every path, so a failed request never keeps the CLI alive. */
  close(): void;
}

export function cliContext(homeOption: string | undefined): CliContext {
  const home = resolveHome(homeOption);
  let connected: Promise<DaemonClient> | undefined;
  return {
    home,
    client: () =>
      (connected ??= connectOrStart(home, 'cronium-cli', () =>
        process.stderr.write(`Starting the Cronium daemon (home ${home})…\n`),
      )),
    close: () => void connected?.then((c) => c.close(), () => undefined),
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
