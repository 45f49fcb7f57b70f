import { Command, CommanderError } from 'commander';
import { version } from '../../package.json';
import { cliErrorReport } from './advice';
import { registerDaemonCommands } from './commands/daemonCommands';
import { registerEventCommands } from './commands/eventCommands';
import { registerJobCommands } from './commands/jobCommands';
import { registerLogsCommand } from './commands/logsCommand';
import { registerRunCommand } from './commands/runCommand';
import { registerServerCommands } from './commands/serverCommands';
import { registerSettingsCommand } from './commands/settingsCommand';
import { registerVarsCommand } from './commands/varsCommand';
import { registerWorkflowCommands } from './commands/workflowCommands';
import { cliContext, type CliContext } from './context';
import { UsageError } from './format';

async function main(argv: string[]): Promise<void> {
  const program = new Command('cronium')
    .description('Run Bash, Python and Node.js scripts as jobs through the Cronium daemon.')
    .version(version)
    .option('--home <dir>', 'Cronium home folder (default: $CRONIUM_HOME or ~/.cronium)')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  let shared: CliContext | undefined;
  const context = () => (shared ??= cliContext(program.opts<{ home?: string }>().home));
  registerDaemonCommands(program, context);
  registerRunCommand(program, context);
  registerJobCommands(program, context);
  registerLogsCommand(program, context);
  registerSettingsCommand(program, context);
  registerVarsCommand(program, context);
  registerEventCommands(program, context);
  registerWorkflowCommands(program, context);
  registerServerCommands(program, context);
  for (const command of program.commands) exitOverrideAll(command);

  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.exitCode = report(e);
  } finally {
    shared?.close();
  }
}

function exitOverrideAll(command: Command): void {
  command.exitOverride();
  command.showHelpAfterError('(add --help for usage)');
  for (const sub of command.commands) exitOverrideAll(sub);
}

/** Prints one line for the error and returns the exit code: 2 for usage errors, 1 for the rest. */
function report(e: unknown): number {
  if (e instanceof CommanderError) {
    // Commander already printed its message (and the hint) to stderr.
    return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0 ? 0 : 2;
  }
  if (UsageError.is(e)) {
    process.stderr.write(`cronium: ${e.message}\n`);
    return 2;
  }
  const { text, exitCode } = cliErrorReport(e);
  process.stderr.write(`cronium: ${text}\n`);
  return exitCode;
}

void main(process.argv);
