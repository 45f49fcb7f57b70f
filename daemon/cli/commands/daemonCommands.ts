import type { Command } from 'commander';
import { DaemonClient } from '../../client/daemonClient';
import { DaemonNotRunningError } from '../../client/errors';
import { startDetached, stopDaemon } from '../../client/launcher';
import { DaemonStatusRequest, type DaemonLifecycleState } from '../../protocol/lifecycle';
import { CLI_CLIENT_NAME, printJson, type CliContext } from '../context';
import { runDaemonInThisProcess } from '../foreground';
import { formatDuration } from '../format';

/** `daemon status` words for each state. */
const STATE_TEXT: Record<DaemonLifecycleState, string> = {
  recovering: 'recovering jobs that were running when it last stopped; new jobs wait queued until it is done',
  ready: 'ready',
  stopping: 'stopping',
};

export function registerDaemonCommands(program: Command, context: () => CliContext): void {
  const daemon = program.command('daemon').description('start, stop or inspect the background daemon');

  daemon
    .command('start')
    .description('start the daemon in the background (or in this terminal with --foreground)')
    .option('--foreground', 'run in this terminal and print the daemon log here')
    .action(async (options: { foreground?: boolean }) => {
      const { home, launch } = context();
      if (options.foreground) {
        const started = await runDaemonInThisProcess({ home, echoLog: true, debug: process.env.CRONIUM_DEBUG === '1' });
        if (!started) process.exit(0);
        return; // keeps running until SIGTERM or `cronium daemon stop`
      }
      try {
        const client = await DaemonClient.connect(home, CLI_CLIENT_NAME);
        process.stdout.write(`Cronium daemon already running (pid ${client.info.pid}, home ${home})\n`);
        client.close();
        return;
      } catch (e) {
        if (!DaemonNotRunningError.is(e)) throw e;
      }
      const client = await startDetached({ home, clientName: CLI_CLIENT_NAME, ...launch });
      process.stdout.write(`Cronium daemon started (pid ${client.info.pid}, home ${home})\n`);
      client.close();
    });

  daemon
    .command('stop')
    .description('stop the daemon; running jobs are cancelled')
    .action(async () => {
      const { home } = context();
      const result = await stopDaemon({ home, clientName: CLI_CLIENT_NAME });
      process.stdout.write(
        result.wasRunning ? `Cronium daemon stopped (pid ${result.pid})\n` : `Cronium daemon is not running (home ${home})\n`,
      );
    });

  daemon
    .command('status')
    .description('show whether the daemon runs, what it is doing, its pid and its load')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }) => {
      const { home } = context();
      let client: DaemonClient;
      try {
        client = await DaemonClient.connect(home, CLI_CLIENT_NAME);
      } catch (e) {
        if (!DaemonNotRunningError.is(e)) throw e;
        if (options.json) printJson({ running: false, home });
        else process.stdout.write(`Cronium daemon is not running (home ${home})\n`);
        return;
      }
      const status = await client.request(DaemonStatusRequest);
      client.close();
      if (options.json) {
        printJson({ running: true, ...status });
        return;
      }
      process.stdout.write(
        [
          `Cronium daemon running (pid ${status.pid}, version ${status.daemonVersion}, protocol ${status.protocolVersion})`,
          `state:       ${STATE_TEXT[status.state]}`,
          `home:        ${status.home}`,
          `uptime:      ${formatDuration(status.uptimeMs)}`,
          `jobs:        ${status.runningJobs} running, ${status.queuedJobs} queued (concurrency ${status.concurrency})`,
          `targets:     ${status.targets.join(', ')}`,
          `clients:     ${status.clients}`,
          `memory:      ${Math.round(status.rssBytes / 1024 / 1024)} MiB`,
        ].join('\n') + '\n',
      );
    });
}
