import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  AddServerRequest,
  GetServerRequest,
  ListServersRequest,
  RemoveServerRequest,
  TestServerRequest,
  TrustServerRequest,
  UpdateServerRequest,
  type ServerDto,
  type ServerFields,
} from '../../protocol/servers';
import { printJson, type CliContext } from '../context';
import { formatDuration, table, UsageError } from '../format';
import { readAllStdin, stripOneNewline } from '../secretInput';

interface ServerOptions {
  host?: string;
  port?: string;
  user?: string;
  key?: string;
  passphraseStdin?: boolean;
  passwordStdin?: boolean;
  agent?: boolean;
  fromSshConfig?: string;
  sshConfig?: string;
  jump?: string;
  trustFingerprint?: string;
  name?: string;
  json?: boolean;
}

export function registerServerCommands(program: Command, context: () => CliContext): void {
  const servers = program.command('servers').description('SSH servers that jobs run on (cronium run FILE --server NAME)');

  const withFields = (command: Command): Command =>
    command
      .option('--host <host>', 'host name or IP address')
      .option('--port <port>', 'SSH port (default 22)')
      .option('--user <user>', 'login (default: your user name)')
      .option('--key <file>', 'log in with this private key (read now and stored encrypted)')
      .option('--passphrase-stdin', "read the key's passphrase from stdin")
      .option('--password-stdin', 'log in with a password, read from stdin')
      .option('--agent', 'log in with the keys of ssh-agent ($SSH_AUTH_SOCK)')
      .option('--from-ssh-config <alias>', 'take HostName, Port, User and IdentityFile of a Host entry of ~/.ssh/config')
      .option('--ssh-config <file>', 'with --from-ssh-config: this file instead of ~/.ssh/config')
      .option('--jump <server>', "connect through this server (ProxyJump; add it first); '' to go direct")
      .option('--json', 'print one JSON document');

  withFields(servers.command('add').description('add a server (trust its host key next: cronium servers trust NAME)').argument('<name>'))
    .option('--trust-fingerprint <SHA256:…>', 'trust the host key at once, if the server shows this one (for scripts)')
    .action(async (name: string, options: ServerOptions) => {
      const fields = await fieldsOf(options);
      if (fields.host === undefined) throw new UsageError('give --host HOST (or --from-ssh-config ALIAS)');
      const client = await context().client();
      let { server } = await client.request(AddServerRequest, { name, ...fields, host: fields.host });
      if (options.trustFingerprint !== undefined) {
        ({ server } = await client.request(TrustServerRequest, { server: server.name, fingerprint: options.trustFingerprint }));
      }
      if (options.json) return printJson({ server });
      process.stdout.write(`added ${server.name}: ${login(server)}\n`);
      if (server.hostKey === null) process.stdout.write(`Its host key is not trusted yet: check it, then \`cronium servers trust ${server.name}\`\n`);
      else process.stdout.write(`trusted ${server.hostKey.type} ${server.hostKey.fingerprint}\n`);
    });

  withFields(servers.command('update').description("change a server (a new host or port forgets its trusted key)").argument('<server>'))
    .option('--name <name>', 'rename it')
    .action(async (ref: string, options: ServerOptions) => {
      const fields = await fieldsOf(options);
      const client = await context().client();
      const { server } = await client.request(UpdateServerRequest, { server: ref, ...fields, ...(options.name ? { name: options.name } : {}) });
      if (options.json) printJson({ server });
      else process.stdout.write(`updated ${server.name}: ${login(server)}\n`);
    });

  servers
    .command('list')
    .description('list servers')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }) => {
      const client = await context().client();
      const { servers: list } = await client.request(ListServersRequest, {});
      if (options.json) return printJson({ servers: list });
      if (list.length === 0) return void process.stdout.write('No servers yet. Add one with `cronium servers add NAME --host HOST`.\n');
      const rows = list.map((s) => [s.name, login(s), s.auth, s.hostKey?.fingerprint ?? 'not trusted', s.health.state, s.health.circuit, latency(s)]);
      process.stdout.write(`${table(['NAME', 'LOGIN', 'AUTH', 'HOST KEY', 'STATE', 'CIRCUIT', 'LATENCY'], rows)}\n`);
    });

  servers
    .command('show')
    .description('show one server: login, host key, health and circuit')
    .argument('<server>')
    .option('--json', 'print one JSON document')
    .action(async (ref: string, options: { json?: boolean }) => {
      const client = await context().client();
      const { server } = await client.request(GetServerRequest, { server: ref });
      if (options.json) return printJson({ server });
      const h = server.health;
      const auth = server.auth === 'key' ? `key${server.hasPassphrase ? ' (with passphrase)' : ''}` : server.auth === 'agent' ? `ssh-agent${server.agentSocket ? ` (${server.agentSocket})` : ''}` : 'password';
      const lines: [string, string][] = [
        ['id', server.id],
        ['login', login(server)],
        ['auth', auth],
        ['host key', server.hostKey === null ? 'not trusted' : `${server.hostKey.type} ${server.hostKey.fingerprint} (trusted ${server.hostKey.trustedAt.replace('T', ' ').slice(0, 19)})`],
        ['state', h.state],
        ['circuit', `${h.circuit}${h.consecutiveFailures > 0 ? ` (${h.consecutiveFailures} failures in a row)` : ''}${h.retryAt && h.circuit === 'open' ? `, next try ${h.retryAt}` : ''}`],
        ['connections', String(h.connections)],
        ['last check', h.lastCheckAt?.replace('T', ' ').slice(0, 19) ?? '-'],
        ['latency', latency(server)],
        ['last error', h.lastError ?? '-'],
      ];
      process.stdout.write(lines.map(([k, v]) => `${k.padEnd(12)}${v}\n`).join(''));
    });

  servers
    .command('test')
    .description('connect, log in and run `true`; exit 1 when that fails')
    .argument('<server>')
    .option('--json', 'print one JSON document')
    .action(async (ref: string, options: { json?: boolean }) => {
      const client = await context().client();
      const result = await client.request(TestServerRequest, { server: ref });
      if (!result.ok) process.exitCode = 1;
      if (options.json) return printJson(result);
      if (result.ok) process.stdout.write(`${result.server.name}: ok in ${formatDuration(result.latencyMs)} (${result.hostKey?.type} ${result.hostKey?.fingerprint})\n`);
      else process.stderr.write(`cronium: ${result.error?.message ?? 'failed'}\n`);
    });

  servers
    .command('trust')
    .description('pin the host key the server shows now (check its fingerprint first)')
    .argument('<server>')
    .option('--fingerprint <SHA256:…>', 'trust only this key, as `ssh-keygen -lf` prints it; refused when the server shows another')
    .option('--from-known-hosts [file]', 'trust only a key this known_hosts file holds for the server (default ~/.ssh/known_hosts)')
    .option('--json', 'print one JSON document')
    .action(async (ref: string, options: { fingerprint?: string; fromKnownHosts?: string | boolean; json?: boolean }) => {
      const knownHostsFile =
        options.fromKnownHosts === undefined ? undefined : resolve(options.fromKnownHosts === true ? join(homedir(), '.ssh', 'known_hosts') : String(options.fromKnownHosts));
      const client = await context().client();
      const result = await client.request(TrustServerRequest, { server: ref, fingerprint: options.fingerprint, ...(knownHostsFile === undefined ? {} : { knownHostsFile }) });
      if (options.json) return printJson(result);
      const key = result.server.hostKey;
      process.stdout.write(`trusted ${result.server.name}: ${key?.type} ${key?.fingerprint}\n`);
      if (result.replaced !== null) process.stdout.write(`(replaces ${result.replaced.type} ${result.replaced.fingerprint})\n`);
    });

  servers
    .command('remove')
    .description('remove a server and its stored credentials')
    .argument('<server>')
    .option('--json', 'print one JSON document')
    .action(async (ref: string, options: { json?: boolean }) => {
      const client = await context().client();
      const result = await client.request(RemoveServerRequest, { server: ref });
      if (options.json) printJson(result);
      else process.stdout.write(`removed ${ref}\n`);
    });
}

function login(server: ServerDto): string {
  return `${server.username}@${server.host}${server.port === 22 ? '' : `:${server.port}`}`;
}

function latency(server: ServerDto): string {
  return server.health.latencyMs === null ? '-' : `${server.health.latencyMs}ms`;
}

/** The fields the options give, secrets read from files and stdin here (never from argv). */
async function fieldsOf(options: ServerOptions): Promise<ServerFields> {
  const methods = [options.key !== undefined, options.passwordStdin === true, options.agent === true].filter(Boolean).length;
  if (methods > 1) throw new UsageError('choose one way to log in: --key FILE, --password-stdin or --agent');
  if (options.passphraseStdin && options.key === undefined) throw new UsageError('--passphrase-stdin goes with --key FILE');
  const fields: ServerFields = {};
  if (options.fromSshConfig !== undefined) Object.assign(fields, fromSshConfig(options.fromSshConfig, options.sshConfig));
  if (options.host !== undefined) fields.host = options.host;
  if (options.jump !== undefined) fields.jump = options.jump;
  if (options.port !== undefined) {
    const port = Number(options.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be a port from 1 to 65535, not "${options.port}"`);
    fields.port = port;
  }
  if (options.user !== undefined) fields.username = options.user;
  // An IdentityFile of ~/.ssh/config is the login unless another way is named.
  if (options.key !== undefined) fields.privateKey = readKey(options.key);
  else if (methods > 0) delete fields.privateKey;
  if (fields.privateKey !== undefined) fields.auth = 'key';
  if (options.passphraseStdin) fields.passphrase = await secretFromStdin('--passphrase-stdin', 'passphrase');
  if (options.passwordStdin) {
    fields.auth = 'password';
    fields.password = await secretFromStdin('--password-stdin', 'password');
  }
  if (options.agent) {
    fields.auth = 'agent';
    // The daemon may have been started from another shell: the agent of this one is the one meant.
    if (process.env.SSH_AUTH_SOCK) fields.agentSocket = process.env.SSH_AUTH_SOCK;
  }
  return fields;
}

function readKey(file: string): string {
  try {
    return readFileSync(file.startsWith('~/') ? `${homedir()}${file.slice(1)}` : file, 'utf8');
  } catch {
    throw new UsageError(`cannot read the key file ${file}`);
  }
}

async function secretFromStdin(option: string, what: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`cronium: reading the ${what} from this terminal until Ctrl-D\n`);
  const text = stripOneNewline(await readAllStdin());
  if (text === '') throw new UsageError(`${option}: stdin was empty`);
  return text;
}

/**
 * HostName, Port, User and the first IdentityFile of a `Host` entry, as OpenSSH itself resolves them
 * (`ssh -G ALIAS`: Match blocks, Include and defaults applied).
 */
function fromSshConfig(alias: string, file: string | undefined): ServerFields {
  let text: string;
  try {
    text = execFileSync('ssh', [...(file === undefined ? [] : ['-F', file]), '-G', alias], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new UsageError(`ssh -G ${alias} failed (${(e as Error).message.split('\n')[0]}); is the OpenSSH client installed?`);
  }
  const values = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const key = line.slice(0, space).toLowerCase();
    values.set(key, [...(values.get(key) ?? []), line.slice(space + 1)]);
  }
  const one = (key: string): string | undefined => values.get(key)?.[0];
  const fields: ServerFields = { host: one('hostname'), port: Number(one('port') ?? 22), username: one('user') };
  // ProxyJump ALIAS: the bastion is the server of that name (added first, e.g. with --from-ssh-config ALIAS).
  const proxy = one('proxyjump');
  if (proxy !== undefined && proxy !== 'none') {
    if (/[@:,]/.test(proxy)) {
      throw new UsageError(`${alias} goes through ProxyJump ${proxy}: add that bastion as a server of its own, then --jump NAME (one bastion, named by its Host alias)`);
    }
    fields.jump = proxy;
  }
  const key = (values.get('identityfile') ?? []).map((f) => f.replace(/^~(?=\/)/, homedir())).find((f) => {
    try {
      readFileSync(f);
      return true;
    } catch {
      return false;
    }
  });
  if (key !== undefined) fields.privateKey = readFileSync(key, 'utf8');
  return fields;
}
