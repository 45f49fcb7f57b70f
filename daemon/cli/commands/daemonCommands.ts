import type { Command } from 'commander';
import { DaemonStatusRequest } from '../../protocol/lifecycle';
import { DaemonClient, DaemonNotRunningError } from '../client';
import { printJson, type CliContext } from '../context';
import { runDaemonInThisProcess, startDetached, stopDaemon } from '../daemonControl';
import { formatDuration } from '../format';

export function registerDaemonCommands(program: Command, context: () => CliContext): void {
  const daemon = program.command('daemon').description('start, stop or inspect the background daemon');

  daemon
    .command('start')
    .description('start the daemon in the background (or in this terminal with --foreground)')
    .option('--foreground', 'run in this terminal and print the daemon log here')
    .action(async (options: { foreground?: boolean }) => {
      const { home } = context();
      if (options.foreground) {
        const started = await runDaemonInThisProcess({ home, echoLog: true, debug: process.env.CRONIUM_DEBUG === '1' });
        if (!started) process.exit(0);
        return; // keeps running until SIGTERM or `cronium daemon stop`
      }
      try {
        const client = await DaemonClient.connect(home, 'cronium-cli');
        process.stdout.write(`Cronium daemon already running (pid ${client.info.pid}, home ${home})\n`);
        client.close();
        return;
      } catch (e) {
        if (!DaemonNotRunningError.is(e)) throw e;
      }
      await startDetached(home);
      const client = await DaemonClient.connect(home, 'cronium-cli');
      process.stdout.write(`Cronium daemon started (pid ${client.info.pid}, home ${home})\n`);
      client.close();
    });

  daemon
    .command('stop')
    .description('stop the daemon; running jobs are cancelled')
    .action(async () => {
      const { home } = context();
      const result = await stopDaemon(home);
      process.stdout.write(
        result.wasRunning ? `Cronium daemon stopped (pid ${result.pid})\n` : `Cronium daemon is not running (home ${home})\n`,
      );
    });

  daemon
    .command('status')
    .description('show whether the daemon runs, its pid and its load')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }) => {
      const { home } = context();
      let client: DaemonClient;
      try {
        client = await DaemonClient.connect(home, 'cronium-cli');
      } catch (e) {
        if (!DaemonNotRunningError.is(e)) throw e;
        if (options.json) printJson({ running: false, home });
        else process.stdout.write(`Cronium daemon is not running (home ${home})\n`);
        return;
      }
      const status = await client.connection.sendRequest(DaemonStatusRequest);
      client.close();
      if (options.json) {
        printJson({ running: true, ...status });
        return;
      }
      process.stdout.write(
        [
          `Cronium daemon running (pid ${status.pid}, version ${status.daemonVersion}, protocol ${status.protocolVersion})`,
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
