import type { Command } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type JobDto, type LogLineDto, type Runtime, type Target } from '../../protocol/dto';
import { CancelJobRequest, GetJobRequest, ResizeTerminalRequest, RunJobRequest, WriteStdinRequest } from '../../protocol/jobs';
import { ListServersRequest } from '../../protocol/servers';
import { DaemonClient } from '../../client/daemonClient';
import { CLI_CLIENT_NAME, printJson, type CliContext } from '../context';
import { followJob, lineBytes } from '../followJob';
import { jobExitCode, parseDuration, parseEnvPairs, UsageError } from '../format';

/** Why a job never ran (or was lost): its output says nothing of it, so it is printed. */
const DID_NOT_RUN = new Set(['spawn_failed', 'daemon_lost', 'target_unavailable', 'host_key_unknown', 'host_key_changed', 'ssh_auth_failed', 'ssh_unreachable', 'circuit_open']);

interface RunOptions {
  runtime?: Runtime;
  target: Target;
  env: string[];
  timeout?: string;
  cwd?: string;
  name?: string;
  json?: boolean;
  input?: string;
  inputFrom?: string;
  network?: boolean;
  memory?: string;
  cpus?: string;
  pids?: string;
  image?: string;
  interactive?: boolean;
  server: string[];
}

export function registerRunCommand(program: Command, context: () => CliContext): void {
  program
    .command('run')
    .description("run a script as a job, stream its output and exit with the job's exit code")
    .argument('<file>', 'the Bash, Python or Node.js script')
    .option('--runtime <runtime>', 'bash | python | node (default: from the shebang or the extension)')
    .option('--target <target>', 'where to run: auto | local | container', 'auto')
    .option('--server <name>', 'run it over SSH on this server (repeatable: one execution per server, in parallel)', collect, [])
    .option(
      '-e, --env <KEY[=VALUE]>',
      "environment variable for the job (repeatable); -e KEY alone passes KEY's value from this environment (an error if it is not set)",
      collect,
      [],
    )
    .option('--timeout <duration>', 'kill the job after this long, e.g. 30s, 5m, 1h')
    .option('--cwd <dir>', 'working directory of the job (default: the current one)')
    .option('--name <name>', 'job name (default: the file name)')
    .option('--input <json>', "JSON the script reads with cronium.input()")
    .option('--input-from <job>', 'use the output of that job as the input')
    .option('--network', 'container jobs: allow network access (default: none)')
    .option('--memory <mb>', 'container jobs: memory limit in MiB (default 512)')
    .option('--cpus <n>', 'container jobs: CPU limit (default 0.5)')
    .option('--pids <n>', 'container jobs: process limit (default 100)')
    .option('--image <image>', 'container jobs: image instead of the runtime default')
    .option('-i, --interactive', 'run in a pseudo-terminal and pass this terminal\'s keys (or piped stdin) to the job')
    .option('--json', 'print the final job record instead of the output')
    .addHelpText(
      'after',
      [
        '',
        'A value given as -e KEY=VALUE can be seen by other users in `ps` and is kept in your shell history;',
        '-e KEY takes the value of KEY in the environment cronium runs in, as `docker run -e KEY` does:',
        '  API_TOKEN=$(cat token.txt) cronium run deploy.sh -e API_TOKEN',
        'Values passed with -e are not masked in the job\'s log; for that, use a secret variable',
        '(`cronium vars set KEY --secret`) and read it with cronium.getVariable.',
      ].join('\n'),
    )
    .action(async (file: string, options: RunOptions) => {
      if (options.interactive && options.json) throw new UsageError('--interactive shows the job in this terminal; leave out --json');
      const request = buildRequest(file, options);
      const client = await context().client();
      const { job, notice } = await client.request(RunJobRequest, request);
      if (notice !== undefined) process.stderr.write(`cronium: ${notice}\n`);
      if (client.info.state === 'recovering' && job.status === 'queued') {
        process.stderr.write(`cronium: ${job.id} waits queued: the daemon is recovering jobs that were running when it last stopped\n`);
      }
      if (job.executions.length > 1) {
        const final = await followServers(client, context().home, job, options.json === true);
        client.close();
        if (options.json) printJson(final);
        process.exitCode = serversExitCode(final);
        return;
      }
      if (options.interactive) {
        const final = await runInThisTerminal(client, job.id);
        client.close();
        process.exitCode = jobExitCode(final);
        return;
      }

      let interrupts = 0;
      process.on('SIGINT', () => {
        interrupts++;
        if (interrupts === 1) {
          process.stderr.write(`\ncronium: cancelling ${job.id} (Ctrl-C again to leave it running)\n`);
          void client.request(CancelJobRequest, { id: job.id }, { timeoutMs: 'unbounded' }).catch(() => undefined);
        } else {
          process.stderr.write(`cronium: detached; follow it with \`cronium logs ${job.id} --follow\`\n`);
          process.exit(130);
        }
      });

      const final = await followJob(client, job.id, options.json ? () => undefined : (lines) => write(lines, client));
      client.close();
      if (options.json) printJson(final);
      else if (final.error !== null && DID_NOT_RUN.has(final.error.kind)) process.stderr.write(`cronium: ${final.error.message}\n`);
      process.exitCode = jobExitCode(final);
    });
}

function buildRequest(file: string, options: RunOptions) {
  const path = resolve(file);
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`Cannot read ${file}; give the path of a script, e.g. \`cronium run ./hello.sh\``);
  }
  const cwd = resolve(options.cwd ?? process.cwd());
  if (!isDirectory(cwd)) throw new UsageError(`--cwd ${options.cwd} is not a folder`);
  if (!['auto', 'local', 'container'].includes(options.target)) {
    throw new UsageError(`Unknown --target "${options.target}"; use auto, local or container`);
  }
  if (options.server.length > 0 && options.target !== 'auto') {
    throw new UsageError(`--server runs the job over SSH: leave out --target ${options.target}`);
  }
  if (options.server.length > 1 && options.interactive) throw new UsageError('--interactive runs on one server at a time');
  if (options.runtime !== undefined && !['bash', 'python', 'node'].includes(options.runtime)) {
    throw new UsageError(`Unknown --runtime "${options.runtime}"; use bash, python or node`);
  }
  let input: unknown;
  if (options.input !== undefined) {
    try {
      input = JSON.parse(options.input) as unknown;
    } catch {
      throw new UsageError(`--input is not JSON: ${options.input}; e.g. --input '{"name":"x"}'`);
    }
  }
  const number = (text: string | undefined, option: string): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${option} must be a positive number, not "${text}"`);
    return n;
  };
  const limits = {
    memoryMb: number(options.memory, '--memory'),
    cpus: number(options.cpus, '--cpus'),
    pids: number(options.pids, '--pids'),
  };
  return {
    content,
    fileName: path,
    input,
    inputFromJob: options.inputFrom,
    network: options.network,
    limits: Object.values(limits).some((v) => v !== undefined) ? limits : undefined,
    image: options.image,
    runtime: options.runtime,
    ...(options.server.length > 0 ? { servers: options.server } : { target: options.target }),
    env: parseEnvPairs(options.env, process.env),
    cwd,
    timeoutMs: options.timeout === undefined ? undefined : parseDuration(options.timeout, '--timeout'),
    name: options.name,
    ...(options.interactive ? { interactive: true, ...terminalSize() } : {}),
  };
}

/** This terminal's size, when stdout is one that knows it. */
function terminalSize(): { terminalSize?: { columns: number; rows: number } } {
  const { columns, rows, isTTY } = process.stdout;
  return isTTY && columns > 0 && rows > 0 ? { terminalSize: { columns, rows } } : {};
}

/**
 * Shows an interactive job in this terminal, like ssh: keys go to the job's pseudo-terminal as typed
 * (raw mode, so Ctrl-C interrupts the script, not us), a resize follows, and piped stdin is passed on
 * with its end. Resolves with the final job.
 */
async function runInThisTerminal(client: DaemonClient, id: string): Promise<JobDto> {
  const stdin = process.stdin;
  const raw = stdin.isTTY && typeof stdin.setRawMode === 'function';
  if (raw) stdin.setRawMode(true);
  let sending: Promise<unknown> = Promise.resolve();
  const send = (data: string, eof: boolean) => {
    sending = sending.then(() => client.request(WriteStdinRequest, { id, data, eof }).catch(() => undefined));
  };
  const onData = (chunk: Buffer) => send(chunk.toString('utf8'), false);
  const onEnd = () => send('', true);
  const onResize = () => {
    const size = terminalSize().terminalSize;
    if (size !== undefined) void client.request(ResizeTerminalRequest, { id, ...size }).catch(() => undefined);
  };
  stdin.on('data', onData).on('end', onEnd);
  process.stdout.on('resize', onResize);
  try {
    return await followJob(client, id, (lines) => write(lines, client));
  } finally {
    if (raw) stdin.setRawMode(false);
    stdin.off('data', onData).off('end', onEnd);
    process.stdout.off('resize', onResize);
    stdin.pause();
    stdin.unref?.();
  }
}

/** Writes lines to our stdout/stderr; when a pipe is full, stops reading from the daemon until it drains. */
function write(lines: LogLineDto[], client: { pause(): void; resume(): void }): void {
  let blocked: NodeJS.WriteStream | undefined;
  for (const line of lines) {
    const out = line.stream === 'stdout' ? process.stdout : process.stderr;
    if (!out.write(lineBytes(line))) blocked = out;
  }
  if (blocked !== undefined) {
    client.pause();
    blocked.once('drain', () => client.resume());
  }
}

/**
 * A job on several servers: every server's lines as they are printed, each prefixed with its server's
 * name. A connection follows each execution (a connection follows one log of a job at a time). Resolves
 * with the final job once every execution ended.
 */
async function followServers(client: DaemonClient, home: string, job: JobDto, quiet: boolean): Promise<JobDto> {
  const { servers } = await client.request(ListServersRequest, {});
  const names = new Map(servers.map((s) => [s.id, s.name]));
  const width = Math.max(...job.executions.map((e) => (names.get(e.serverId ?? '') ?? e.id).length));
  await Promise.all(
    job.executions.map(async (execution) => {
      const name = names.get(execution.serverId ?? '') ?? execution.id;
      const prefix = `[${name}]${' '.repeat(width - name.length)} `;
      const own = await DaemonClient.connect(home, `${CLI_CLIENT_NAME} (${name})`);
      try {
        await followJob(
          own,
          job.id,
          (lines) => {
            if (quiet) return;
            for (const line of lines) (line.stream === 'stdout' ? process.stdout : process.stderr).write(prefix + lineBytes(line).toString());
          },
          0,
          execution.id,
        );
      } finally {
        own.close();
      }
    }),
  );
  const final = await client.request(GetJobRequest, { id: job.id });
  if (!quiet) {
    for (const execution of final.executions) {
      const name = names.get(execution.serverId ?? '') ?? execution.id;
      if (execution.status !== 'succeeded') process.stderr.write(`[${name}] ${execution.status}: ${execution.lastError ?? ''}\n`);
    }
  }
  return final;
}

/** 0 when every server succeeded, else the first failed execution's exit code (1 when it has none). */
function serversExitCode(job: JobDto): number {
  if (job.status === 'succeeded') return 0;
  const failed = job.executions.find((e) => e.status !== 'succeeded');
  return failed?.exitCode !== null && failed?.exitCode !== undefined && failed.exitCode !== 0 ? failed.exitCode : 1;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
