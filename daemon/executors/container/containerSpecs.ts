import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import type { Runtime } from '../../protocol/dto';
import type { ContainerOptions, ExecutionSpec } from '../executor';
import { scriptExtension } from '../runtimes';

/** Labels every container and network of a job carries, so a restarted daemon finds them (DESIGN §4). */
export const LABEL = {
  daemon: 'cronium.daemon',
  job: 'cronium.job',
  role: 'cronium.role',
  runtime: 'cronium.runtime',
} as const;

export type ResourceRole = 'network' | 'sidecar' | 'job';

/** Where the sidecar listens inside the job network; the job reaches it by this name. */
export const RUNTIME_API_ALIAS = 'runtime-api';
export const RUNTIME_API_PORT = 8081;
export const RUNTIME_API_URL = `http://${RUNTIME_API_ALIAS}:${RUNTIME_API_PORT}`;

export const DEFAULT_CONTAINER_OPTIONS: ContainerOptions = {
  memoryBytes: 512 * 1024 * 1024,
  nanoCpus: 500_000_000,
  pidsLimit: 100,
  network: false,
};

/** The images' user (runtime-images/README.md). */
const JOB_USER = '1000:1000';
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

/** Names of one job's resources; the suffix keeps a retried job clear of leftovers of an earlier try. */
export interface JobResourceNames {
  network: string;
  sidecar: string;
  job: string;
}

export function resourceNames(jobId: string): JobResourceNames {
  const base = `cronium-${jobId.replace(/[^a-zA-Z0-9_.-]/g, '-')}-${randomBytes(3).toString('hex')}`;
  return { network: base, sidecar: `${base}-sidecar`, job: `${base}-job` };
}

function labelsFor(daemonId: string, jobId: string, role: ResourceRole, extra: Record<string, string> = {}) {
  return { [LABEL.daemon]: daemonId, [LABEL.job]: jobId, [LABEL.role]: role, ...extra };
}

export function networkCreateOptions(
  daemonId: string,
  jobId: string,
  name: string,
  options: ContainerOptions,
): Dockerode.NetworkCreateOptions {
  return {
    Name: name,
    CheckDuplicate: true,
    Driver: 'bridge',
    // Internal: no route out of the network, only the job and its sidecar can talk.
    Internal: !options.network,
    // An internal bridge still gives the host an address on it, and a job could reach every host service
    // listening on 0.0.0.0 through it: with no address on the bridge there is nothing to reach.
    Options: options.network ? {} : { 'com.docker.network.bridge.inhibit_ipv4': 'true' },
    Labels: labelsFor(daemonId, jobId, 'network'),
  };
}

export function sidecarCreateOptions(
  daemonId: string,
  jobId: string,
  names: JobResourceNames,
  image: string,
): Dockerode.ContainerCreateOptions {
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
    Labels: labelsFor(daemonId, jobId, 'sidecar'),
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

/**
 * The job container reads its script from the attached stdin into a tmpfs file, checks it arrived whole
 * (a daemon that dies mid-write must not leave half a script to run), then runs it with stdin at EOF.
 */
export function jobCreateOptions(
  daemonId: string,
  spec: ExecutionSpec,
  names: JobResourceNames,
  image: string,
  options: ContainerOptions,
): Dockerode.ContainerCreateOptions {
  const file = `/tmp/job${scriptExtension(spec.runtime, spec.scriptName)}`;
  const bytes = Buffer.byteLength(spec.script);
  const wrapper =
    `cat > ${file} && [ "$(wc -c < ${file})" -eq ${bytes} ] ` +
    `|| { echo "cronium: the script did not arrive whole in the container" >&2; exit 125; }; ` +
    `exec ${launchCommand(spec.runtime, file)} < /dev/null`;
  return {
    name: names.job,
    Image: image,
    User: JOB_USER,
    WorkingDir: '/tmp',
    Cmd: ['sh', '-c', wrapper],
    OpenStdin: true,
    // The engine closes the job's stdin when our attach ends it, which is how `cat` sees EOF.
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    Env: Object.entries({ ...spec.env, CRONIUM_RUNTIME_API: RUNTIME_API_URL }).map(([k, v]) => `${k}=${v}`),
    Labels: labelsFor(daemonId, spec.jobId, 'job', { [LABEL.runtime]: spec.runtime }),
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

/**
 * The interpreter line that makes the global `cronium` exist (DESIGN §3, helpers/README.md "How the daemon
 * launches each runtime"): bash sources the helper through the image's BASH_ENV; node preloads the helper;
 * python runs the script through the helper, which installs the global into builtins first.
 */
function launchCommand(runtime: Runtime, file: string): string {
  switch (runtime) {
    case 'bash':
      return `bash ${file}`;
    case 'python':
      return `python3 -m cronium ${file}`;
    case 'node':
      return `node --require /usr/local/lib/node_modules/cronium/index.js ${file}`;
  }
}
