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
    .argument('<value>', 'a string, or JSON with --json-value')
    .option('--secret', 'encrypt it at rest and mask it (***) in job logs')
    .option('--json-value', 'parse VALUE as JSON (numbers, objects, lists…)')
    .option('--description <text>', 'what it is for')
    .action(async (key: string, raw: string, options: { secret?: boolean; jsonValue?: boolean; description?: string }) => {
      let value: unknown = raw;
      if (options.jsonValue) {
        try {
          value = JSON.parse(raw) as unknown;
        } catch {
          throw new UsageError(`--json-value: ${raw} is not JSON; quote strings, e.g. '"text"'`);
        }
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

function row(v: VariableDto): string[] {
  return [v.key, show(v.value), v.secret ? 'yes' : 'no', v.updatedAt.replace('T', ' ').slice(0, 19)];
}
