import { join } from 'node:path';
import type { DaemonClient } from '../client/daemonClient';
import { resolveHome } from '../client/homeLayout';
import { connectOrStart, type DaemonLaunch } from '../client/launcher';

/** Shown in the daemon log for every connection of the CLI. */
export const CLI_CLIENT_NAME = 'cronium-cli';

/** What every command needs: the home and a way to reach its daemon. */
export interface CliContext {
  home: string;
  /** How the CLI starts a daemon: with its own Node.js, the bundle next to its own. */
  launch: DaemonLaunch;
  /** Connects, starting the daemon in the background when it is not running. */
  client(): Promise<DaemonClient>;
  /** Closes the connection, if any: on every path, so a failed request never keeps the CLI alive. */
  close(): void;
}

/** The daemon bundle sits next to the CLI bundle in dist/. */
export function cliLaunch(): DaemonLaunch {
  return { node: process.execPath, script: join(__dirname, 'daemon.js') };
}

export function cliContext(homeOption: string | undefined): CliContext {
  const home = resolveHome(homeOption);
  const launch = cliLaunch();
  let connected: Promise<DaemonClient> | undefined;
  return {
    home,
    launch,
    client: () =>
      (connected ??= connectOrStart({
        home,
        clientName: CLI_CLIENT_NAME,
        ...launch,
        onStart: () => process.stderr.write(`Starting the Cronium daemon (home ${home})…\n`),
      })),
    close: () => void connected?.then((c) => c.close(), () => undefined),
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
