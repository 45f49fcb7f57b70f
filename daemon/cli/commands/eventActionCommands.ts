import type { Command } from 'commander';
import {
  ACTION_KINDS,
  ACTION_TRIGGERS,
  AddActionRequest,
  ListActionsRequest,
  RemoveActionRequest,
  type ActionDto,
  type ActionTrigger,
  type AddActionParams,
} from '../../protocol/eventActions';
import { printJson, type CliContext } from '../context';
import { table, UsageError } from '../format';

interface OnOptions {
  run?: string;
  webhook?: string;
  slack?: string;
  discord?: string;
  email?: string;
  template?: string;
  subject?: string;
  hmacSecretEnv?: string;
  json?: boolean;
}

const TARGET_USAGE = '--run EVENT, --webhook URL, --slack URL, --discord URL or --email ADDRESS';

function actionRow(action: ActionDto): string[] {
  const last = action.lastResult;
  return [
    action.id,
    action.trigger,
    action.kind + (action.signed ? ' (signed)' : ''),
    action.target,
    last === null ? '-' : `${last.status} ${last.at}: ${last.detail}`,
  ];
}

/**
 * `cronium events on|actions|off`: what runs or is sent when a job of an event ends. `events` is the
 * `cronium events` command these become subcommands of.
 */
export function registerEventActionCommands(events: Command, context: () => CliContext): void {
  events
    .command('on')
    .description(
      'when a job of an event ends (success, failure, always, or condition: the script called setCondition(true)), ' +
        'run another event with its output as input, or send a notification',
    )
    .argument('<event>', 'name or id')
    .argument('<trigger>', ACTION_TRIGGERS.join(' | '))
    .option('--run <event>', 'run this event with the job\'s output as its input')
    .option('--webhook <url>', 'POST a JSON document about the job to this URL')
    .option('--slack <url>', 'post a message to this Slack incoming-webhook URL')
    .option('--discord <url>', 'post a message to this Discord webhook URL')
    .option('--email <address>', "send an email (SMTP server: CRONIUM_SMTP_URL in the daemon's environment)")
    .option('--template <text>', 'the message, a mustache template over event, job, output, variables, e.g. "{{event.name}}: {{job.status}}"')
    .option('--subject <text>', 'the subject of an email (a mustache template too)')
    .option('--hmac-secret-env <name>', 'sign the webhook body (X-Cronium-Signature: sha256=…) with the key in this environment variable')
    .option('--json', 'print one JSON document')
    .action(async (ref: string, trigger: string, options: OnOptions) => {
      if (!ACTION_TRIGGERS.includes(trigger as ActionTrigger)) {
        throw new UsageError(`Unknown trigger "${trigger}"; use one of ${ACTION_TRIGGERS.join(', ')}`);
      }
      const given = ACTION_KINDS.filter((kind) => options[kind] !== undefined);
      if (given.length !== 1) throw new UsageError(`Give one of ${TARGET_USAGE}${given.length > 1 ? ', not several' : ''}`);
      let hmacSecret: string | undefined;
      if (options.hmacSecretEnv !== undefined) {
        hmacSecret = process.env[options.hmacSecretEnv];
        if (!hmacSecret) throw new UsageError(`--hmac-secret-env: the environment variable ${options.hmacSecretEnv} is not set`);
      }
      const params: AddActionParams = {
        event: ref,
        trigger: trigger as ActionTrigger,
        [given[0]]: options[given[0]],
        ...(options.template === undefined ? {} : { template: options.template }),
        ...(options.subject === undefined ? {} : { subject: options.subject }),
        ...(hmacSecret === undefined ? {} : { hmacSecret }),
      };
      const client = await context().client();
      const { action, notice } = await client.request(AddActionRequest, params);
      client.close();
      if (notice !== undefined) process.stderr.write(`cronium: ${notice}\n`);
      if (options.json) printJson(action);
      else process.stdout.write(`${action.id}: on ${action.trigger}, ${action.kind} ${action.target}\n`);
    });

  events
    .command('actions')
    .description("an event's actions, with what came of each the last time")
    .argument('<event>', 'name or id')
    .option('--json', 'print one JSON document')
    .action(async (ref: string, options: { json?: boolean }) => {
      const client = await context().client();
      const { actions } = await client.request(ListActionsRequest, { event: ref });
      client.close();
      if (options.json) printJson({ actions });
      else if (actions.length === 0) process.stdout.write(`No actions. Add one with \`cronium events on ${ref} failure --email ADDRESS\`.\n`);
      else process.stdout.write(`${table(['ID', 'ON', 'KIND', 'TARGET', 'LAST RESULT'], actions.map(actionRow))}\n`);
    });

  events
    .command('off')
    .description('remove an action of an event (what it did for earlier jobs stays on them)')
    .argument('<event>', 'name or id')
    .argument('<action-id>', 'as `cronium events actions EVENT` lists it')
    .action(async (ref: string, actionId: string) => {
      const client = await context().client();
      await client.request(RemoveActionRequest, { event: ref, action: actionId });
      client.close();
      process.stdout.write(`removed ${actionId}\n`);
    });
}
