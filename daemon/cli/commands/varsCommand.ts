import type { Command } from 'commander';
import {
  DeleteVariableRequest,
  GetVariableRequest,
  ListVariablesRequest,
  SetVariableRequest,
  type VariableDto,
} from '../../protocol/variables';
import { printJson, type CliContext } from '../context';
import { table, UsageError } from '../format';
import { canPrompt, promptHidden, PromptCancelledError, readAllStdin, stripOneNewline } from '../secretInput';

interface SetOptions {
  secret?: boolean;
  valueStdin?: boolean;
  jsonValue?: boolean;
  description?: string;
}

/** A variable's value as the CLI prints it: strings raw, anything else as compact JSON. */
function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function registerVarsCommand(program: Command, context: () => CliContext): void {
  const vars = program.command('vars').description('variables shared by jobs (cronium.getVariable / setVariable)');

  vars
    .command('list')
    .description('list variables (secret values masked)')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }) => {
      const client = await context().client();
      const { variables } = await client.request(ListVariablesRequest, {});
      if (options.json) printJson({ variables });
      else if (variables.length === 0) process.stdout.write('No variables yet. Set one with `cronium vars set KEY VALUE`.\n');
      else process.stdout.write(`${table(['KEY', 'VALUE', 'SECRET', 'UPDATED'], variables.map(row))}\n`);
    });

  vars
    .command('get')
    .description("print a variable's value")
    .argument('<key>')
    .option('--reveal', "print a secret's value instead of ***")
    .option('--json', 'print one JSON document')
    .action(async (key: string, options: { reveal?: boolean; json?: boolean }) => {
      const client = await context().client();
      const variable = await client.request(GetVariableRequest, { key, reveal: options.reveal ?? false });
      if (options.json) printJson(variable);
      else process.stdout.write(`${show(variable.value)}\n`);
    });

  vars
    .command('set')
    .description('create or change a variable')
    .argument('<key>')
    .argument('[value]', 'a string, or JSON with --json-value; leave it out to type it at a hidden prompt')
    .option('--secret', 'encrypt it at rest and mask it (***) in job logs')
    .option('--value-stdin', 'read the value from stdin (one trailing newline is dropped)')
    .option('--json-value', 'parse the value as JSON (numbers, objects, lists…)')
    .option('--description <text>', 'what it is for')
    .addHelpText(
      'after',
      [
        '',
        'A VALUE on the command line can be seen by other users in `ps` and is kept in your shell history.',
        'For a secret, leave VALUE out: in a terminal you are asked for it (Value for KEY:) and what you type',
        'is not shown; or pipe it in with --value-stdin:',
        '  cronium vars set API_TOKEN --secret',
        '  cronium vars set API_TOKEN --secret --value-stdin < token.txt',
        '  printf %s "$API_TOKEN" | cronium vars set API_TOKEN --secret --value-stdin',
      ].join('\n'),
    )
    .action(async (key: string, raw: string | undefined, options: SetOptions) => {
      let value: unknown;
      try {
        value = await valueToSet(key, raw, options);
      } catch (e) {
        if (!PromptCancelledError.is(e)) throw e;
        process.stderr.write('cronium: cancelled; nothing stored\n');
        process.exitCode = 130;
        return;
      }
      const client = await context().client();
      const set = await client.request(SetVariableRequest, {
        key,
        value,
        secret: options.secret,
        description: options.description,
      });
      process.stdout.write(`${set.key} = ${set.secret ? '*** (secret)' : show(set.value)}\n`);
    });

  vars
    .command('delete')
    .description('delete a variable')
    .argument('<key>')
    .action(async (key: string) => {
      const client = await context().client();
      await client.request(DeleteVariableRequest, { key });
      process.stdout.write(`deleted ${key}\n`);
    });
}

/**
 * The value `vars set` stores: VALUE from the command line, or (to keep it out of `ps` and shell
 * history) all of stdin with --value-stdin, or what is typed at a hidden prompt when stdin is a terminal.
 */
async function valueToSet(key: string, raw: string | undefined, options: SetOptions): Promise<unknown> {
  let text: string;
  let source: string;
  if (raw !== undefined) {
    if (options.valueStdin) {
      throw new UsageError(
        `give the value either as VALUE or on stdin, not both: \`cronium vars set ${key} VALUE\` or \`… | cronium vars set ${key} --value-stdin\``,
      );
    }
    text = raw;
    source = 'VALUE';
  } else if (options.valueStdin) {
    if (process.stdin.isTTY) process.stderr.write('cronium: reading the value from this terminal until Ctrl-D (it is shown as you type; leave out --value-stdin for a hidden prompt)\n');
    text = stripOneNewline(await readAllStdin());
    source = 'stdin';
    if (text === '') throw new UsageError(`stdin was empty; nothing stored (for an empty value type \`cronium vars set ${key} ''\`)`);
  } else if (canPrompt()) {
    text = await promptHidden(`Value for ${key}: `);
    source = 'the typed value';
    if (text === '') throw new UsageError(`nothing typed; nothing stored (for an empty value type \`cronium vars set ${key} ''\`)`);
  } else {
    throw new UsageError(
      `no value for ${key}: give it as VALUE, or pipe it in with --value-stdin, e.g. \`cronium vars set ${key} --value-stdin < file\` (stdin is not a terminal, so there is no prompt)`,
    );
  }
  if (!options.jsonValue) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Only a VALUE that is not secret is repeated: one read from stdin or a prompt is kept off the screen.
    const shown = source === 'VALUE' && !options.secret ? text : source;
    throw new UsageError(`--json-value: ${shown} is not JSON; quote strings, e.g. '"text"'`);
  }
}

function row(v: VariableDto): string[] {
  return [v.key, show(v.value), v.secret ? 'yes' : 'no', v.updatedAt.replace('T', ' ').slice(0, 19)];
}
