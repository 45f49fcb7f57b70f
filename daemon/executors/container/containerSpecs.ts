import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import type { Runtime } from '../../protocol/dto';
import type { ExecutionSpec } from '../executor';
import type { ContainerOptions } from './containerOptions';
import { ptyLaunch } from '../ptyCommand';
import { scriptExtension } from '../runtimes';

/** Labels every container and network of a job carries, so a restarted daemon finds them (DESIGN §4). */
export const LABEL = {
  daemon: 'cronium.daemon',
  /** Set when the resources were made for a job; a warm slot's are made before any job (see warmPool.ts). */
  job: 'cronium.job',
  /** One network, sidecar and job container that belong together. */
  slot: 'cronium.slot',
  role: 'cronium.role',
  runtime: 'cronium.runtime',
} as const;

export type ResourceRole = 'network' | 'sidecar' | 'job';

/** Where the sidecar listens inside the job network; the job reaches it by this name. */
export const RUNTIME_API_ALIAS = 'runtime-api';
export const RUNTIME_API_PORT = 8081;
export const RUNTIME_API_URL = `http://${RUNTIME_API_ALIAS}:${RUNTIME_API_PORT}`;

export { DEFAULT_CONTAINER_OPTIONS } from './containerOptions';

/** The images' user (runtime-images/README.md). */
export const JOB_USER = '1000:1000';
const HOME = '/home/cronium';

/** Settings both containers of a job share: nothing of the host, no privileges, nothing writable but tmpfs. */
function lockedDown(tmpfs: Record<string, string>): Dockerode.HostConfig {
  return {
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    ReadonlyRootfs: true,
    Tmpfs: tmpfs,
    Binds: [],
    Mounts: [],
    Privileged: false,
    AutoRemove: false,
  };
}

/** Who the resources of one slot (network, sidecar, job container) belong to: their labels. */
export interface SlotOwner {
  daemonId: string;
  slotId: string;
  /** Absent for a warm slot, made before its job is known. */
  jobId?: string;
  runtime?: Runtime;
}

/** Names of one slot's resources. */
export interface SlotNames {
  network: string;
  sidecar: string;
  job: string;
}

export function newSlotId(): string {
  return randomBytes(6).toString('hex');
}

/** `cronium-<job id or "warm">-<slot>`: a retried job's names never collide with an earlier try's. */
export function slotNames(owner: SlotOwner): SlotNames {
  const who = owner.jobId === undefined ? 'warm' : owner.jobId.replace(/[^a-zA-Z0-9_.-]/g, '-');
  const base = `cronium-${who}-${owner.slotId}`;
  return { network: base, sidecar: `${base}-sidecar`, job: `${base}-job` };
}

function labelsFor(owner: SlotOwner, role: ResourceRole): Record<string, string> {
  return {
    [LABEL.daemon]: owner.daemonId,
    [LABEL.slot]: owner.slotId,
    [LABEL.role]: role,
    ...(owner.jobId === undefined ? {} : { [LABEL.job]: owner.jobId }),
    ...(owner.runtime === undefined || role !== 'job' ? {} : { [LABEL.runtime]: owner.runtime }),
  };
}

export function networkCreateOptions(owner: SlotOwner, names: SlotNames, options: ContainerOptions): Dockerode.NetworkCreateOptions {
  return {
    Name: names.network,
    CheckDuplicate: true,
    Driver: 'bridge',
    // Internal: no route out of the network, only the job and its sidecar can talk.
    Internal: !options.network,
    // An internal bridge still gives the host an address on it, and a job could reach every host service
    // listening on 0.0.0.0 through it: with no address on the bridge there is nothing to reach.
    Options: options.network ? {} : { 'com.docker.network.bridge.inhibit_ipv4': 'true' },
    Labels: labelsFor(owner, 'network'),
  };
}

export function sidecarCreateOptions(owner: SlotOwner, names: SlotNames, image: string): Dockerode.ContainerCreateOptions {
  return {
    name: names.sidecar,
    Image: image,
    User: JOB_USER,
    Hostname: RUNTIME_API_ALIAS,
    // stdin stays open across attaches: a restarted daemon re-attaches to the same relay.
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    Env: [`CRONIUM_RELAY_PORT=${RUNTIME_API_PORT}`],
    Labels: labelsFor(owner, 'sidecar'),
    HostConfig: {
      ...lockedDown({ '/tmp': 'rw,nosuid,nodev,noexec,size=8m' }),
      NetworkMode: names.network,
      Memory: 128 * 1024 * 1024,
      // Half a CPU made the relay's start (on the job's critical path) 50% slower: 123 ms against 81 ms.
      NanoCpus: 1_000_000_000,
      PidsLimit: 32,
      // Request lines carry the job's token: keep them out of the engine's log files.
      LogConfig: { Type: 'none', Config: {} },
    },
    NetworkingConfig: { EndpointsConfig: { [names.network]: { Aliases: [RUNTIME_API_ALIAS] } } },
  };
}

/** Where the wrapper puts what the daemon sends, before the launcher moves the script to its name. */
const LAUNCHER = '/tmp/.cronium-launch';
const INCOMING = '/tmp/.cronium-script';

/**
 * The job container starts before its job is known (a warm slot) or at once (a fresh one), and waits.
 * The daemon then writes the job to its attached stdin: a header line "<launcher bytes> <script bytes>",
 * a launcher (the job's environment and command line) and the script. The wrapper checks both arrived
 * whole (a daemon that dies mid-write must not leave half a script to run), then runs the launcher, which
 * gives the job the rest of stdin (interactive jobs: what the user types) or none. The job's environment,
 * its token included, is therefore not in `docker inspect`.
 */
export function jobCreateOptions(owner: SlotOwner, names: SlotNames, image: string, options: ContainerOptions): Dockerode.ContainerCreateOptions {
  const wrapper =
    'IFS=" " read -r launch script || exit 125; ' +
    `head -c "$launch" > ${LAUNCHER}; head -c "$script" > ${INCOMING}; ` +
    `[ "$(wc -c < ${LAUNCHER})" -eq "$launch" ] && [ "$(wc -c < ${INCOMING})" -eq "$script" ] ` +
    '|| { echo "cronium: the script did not arrive whole in the container" >&2; exit 125; }; ' +
    `exec sh ${LAUNCHER}`;
  return {
    name: names.job,
    Image: image,
    User: JOB_USER,
    WorkingDir: '/tmp',
    Cmd: ['sh', '-c', wrapper],
    OpenStdin: true,
    // The engine closes the job's stdin when our attach ends it: a wrapper still waiting sees EOF.
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    Labels: labelsFor(owner, 'job'),
    HostConfig: {
      ...lockedDown({
        '/tmp': 'rw,nosuid,nodev,size=64m',
        [HOME]: 'rw,nosuid,nodev,size=16m,uid=1000,gid=1000,mode=0700',
      }),
      NetworkMode: names.network,
      // A restarted daemon re-reads the output from the engine's log and skips what it stored, so the log
      // must keep bytes exactly: json-file rewrites invalid UTF-8, `local` does not. Rotation bounds the disk
      // a chatty job takes; output beyond the kept window cannot be re-read after a daemon restart.
      LogConfig: { Type: 'local', Config: { 'max-size': '64m', 'max-file': '4' } },
      Memory: options.memoryBytes,
      NanoCpus: options.nanoCpus,
      PidsLimit: options.pidsLimit,
    },
  };
}

/** What the daemon writes to a waiting job container's stdin to run `spec` (see jobCreateOptions). */
export function jobPayload(spec: ExecutionSpec): Buffer {
  const file = `/tmp/job${scriptExtension(spec.runtime, spec.scriptName)}`;
  const env = Object.entries({ ...spec.env, CRONIUM_RUNTIME_API: RUNTIME_API_URL })
    // A name with "=" cannot be set; the engine refused such names before jobs came through stdin, too.
    .filter(([name]) => name !== '' && !name.includes('='))
    .map(([name, value]) => shellQuote(`${name}=${value}`));
  const command = launchCommand(spec.runtime, file);
  let run: string;
  if (spec.interactive === undefined) {
    run = `exec env -- ${env.join(' ')} ${command.join(' ')} < /dev/null`;
  } else {
    // A terminal of the job's size, made by util-linux `script` as for local jobs; stdin stays open.
    const pty = ptyLaunch(command[0], command.slice(1), {}, spec.interactive, 'script');
    const ptyEnv = Object.entries(pty.env).map(([name, value]) => shellQuote(`${name}=${value ?? ''}`));
    run = `exec env -- ${[...env, ...ptyEnv].join(' ')} ${[pty.command, ...pty.args].map(shellQuote).join(' ')}`;
  }
  const launcher = `mv -f ${INCOMING} ${file} && rm -f ${LAUNCHER} || exit 125\n${run}\n`;
  const launcherBytes = Buffer.from(launcher);
  const scriptBytes = Buffer.from(spec.script);
  return Buffer.concat([Buffer.from(`${launcherBytes.length} ${scriptBytes.length}\n`), launcherBytes, scriptBytes]);
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/**
 * The interpreter line that makes the global `cronium` exist (DESIGN §3, helpers/README.md "How the daemon
 * launches each runtime"): bash sources the helper through the image's BASH_ENV; node preloads the helper;
 * python runs the script through the helper, which installs the global into builtins first.
 */
function launchCommand(runtime: Runtime, file: string): string[] {
  switch (runtime) {
    case 'bash':
      return ['bash', file];
    case 'python':
      return ['python3', '-m', 'cronium', file];
    case 'node':
      return ['node', '--require', '/usr/local/lib/node_modules/cronium/index.js', file];
  }
}

/** The job's pseudo-terminal inside its container: `script` makes the first one, so it is the first pts. */
export const JOB_PTY = '/dev/pts/0';
