import type { Command } from 'commander';
import { GetSettingsRequest, UpdateSettingsRequest, type DaemonSettings } from '../../protocol/settings';
import { printJson, type CliContext } from '../context';
import { parseDuration, UsageError } from '../format';

/** How each setting is typed on the command line. */
const PARSERS: Record<keyof DaemonSettings, (text: string) => number | string | boolean> = {
  concurrency: (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`concurrency must be a whole number from 1 to 256`);
    return n;
  },
  killGraceMs: (text) => parseDuration(text, 'killGraceMs'),
  defaultTimeoutMs: (text) => (text === '0' || text === 'none' ? 0 : parseDuration(text, 'defaultTimeoutMs')),
  logRetentionDays: (text) => {
    const days = Number(text);
    if (!Number.isFinite(days) || days < 0) throw new UsageError('logRetentionDays is a number of days, 0 to keep logs for ever');
    return days;
  },
  dockerHost: (text) => text,
  imageBash: (text) => text,
  imagePython: (text) => text,
  imageNode: (text) => text,
  imageSidecar: (text) => text,
  sshPoolSize: (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError('sshPoolSize is a whole number of connections per server from 1 to 64');
    return n;
  },
  sshConnectTimeoutMs: (text) => parseDuration(text, 'sshConnectTimeoutMs'),
  sshKeepaliveMs: (text) => (text === '0' || text === 'none' ? 0 : parseDuration(text, 'sshKeepaliveMs')),
  sshIdleMs: (text) => (text === '0' ? 0 : parseDuration(text, 'sshIdleMs')),
  sshCircuitResetMs: (text) => parseDuration(text, 'sshCircuitResetMs'),
  jobNice: (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 19) throw new UsageError('jobNice is a whole number from 0 (the daemon\'s priority) to 19 (the lowest)');
    return n;
  },
  webhookHost: (text) => text,
  webhookPort: (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError('webhookPort is a port number from 1 to 65535, or 0 for any free port');
    return n;
  },
  warmContainers: (text) => {
    if (text !== 'true' && text !== 'false') throw new UsageError('warmContainers is true or false');
    return text === 'true';
  },
};

export function registerSettingsCommand(program: Command, context: () => CliContext): void {
  const settings = program
    .command('settings')
    .description('show or change daemon settings')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }) => {
      const client = await context().client();
      const current = await client.request(GetSettingsRequest);
      if (options.json) printJson(current);
      else for (const [key, value] of Object.entries(current)) process.stdout.write(`${key.padEnd(17)} ${value === '' ? '(default)' : value}\n`);
    });

  settings
    .command('set')
    .description('change one setting, e.g. `cronium settings set concurrency 8` or `set killGraceMs 10s`')
    .argument('<key>', Object.keys(PARSERS).join(' | '))
    .argument('<value>', 'a number, or a duration like 10s for the *Ms settings')
    .action(async (key: string, value: string) => {
      if (!(key in PARSERS)) {
        throw new UsageError(`Unknown setting "${key}"; use one of ${Object.keys(PARSERS).join(', ')}`);
      }
      const name = key as keyof DaemonSettings;
      const client = await context().client();
      const updated = await client.request(UpdateSettingsRequest, { [name]: PARSERS[name](value) });
      process.stdout.write(`${name} = ${updated[name]}\n`);
    });
}
