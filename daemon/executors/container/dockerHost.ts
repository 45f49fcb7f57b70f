import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { userInfo } from 'node:os';
import { checkHostKey } from './knownHosts';
import { errnoCode } from '../../errors';
import { ContainerError, dockerReason, dockerStatus } from './containerErrors';

const DEFAULT_SOCKET = '/var/run/docker.sock';

/** How to reach an engine, and how to name that place in a message to the user. */
export interface DockerEndpoint {
  options: Dockerode.DockerOptions;
  /** `/var/run/docker.sock`, `tcp://host:2375`, `ssh://user@host` … */
  where: string;
  /** ssh:// only: why the last connection refused the server's host key, if it did. */
  hostKey?: { problem: string | undefined };
}

/** The host key state of each ssh:// client made by {@link dockerFromEnv}, for error messages. */
const hostKeyOf = new WeakMap<Dockerode, { problem: string | undefined }>();

/**
 * Reads a Docker host as users write it (the `cronium.docker.host` setting or `DOCKER_HOST`): a unix socket
 * path, `unix://`, `npipe://`, `tcp://` (TLS when `DOCKER_TLS_VERIFY=1` or port 2376, certificates from
 * `DOCKER_CERT_PATH`) or `ssh://user@host[:port]` (keys from `SSH_AUTH_SOCK`).
 */
export function dockerEndpoint(host?: string, env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  const value = (host ?? env.DOCKER_HOST ?? '').trim();
  if (value === '') return { options: { socketPath: DEFAULT_SOCKET }, where: DEFAULT_SOCKET };
  if (value.startsWith('/')) return { options: { socketPath: value }, where: value };
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length) || DEFAULT_SOCKET;
    return { options: { socketPath }, where: socketPath };
  }
  if (value.startsWith('npipe://')) {
    const socketPath = value.slice('npipe://'.length) || '//./pipe/docker_engine';
    return { options: { socketPath }, where: socketPath };
  }
  let url: URL;
  try {
    url = new URL(value.includes('://') ? value : `tcp://${value}`);
  } catch {
    throw badHost(value);
  }
  if (url.protocol === 'ssh:') {
    // As ssh does: the local user unless one is given, and only a host whose key known_hosts holds.
    const username = url.username ? decodeURIComponent(url.username) : userInfo().username;
    const port = Number(url.port || 22);
    const check: { problem: string | undefined } = { problem: undefined };
    const hostVerifier = (key: Buffer): boolean => {
      const result = checkHostKey(url.hostname, port, username, key);
      check.problem = result.ok ? undefined : result.problem;
      return result.ok;
    };
    return {
      options: { protocol: 'ssh', host: url.hostname, port, username, sshOptions: { agent: env.SSH_AUTH_SOCK, hostVerifier } },
      where: `ssh://${url.username ? `${url.username}@` : ''}${url.host}`,
      hostKey: check,
    };
  }
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const port = url.port || (url.protocol === 'https:' ? '2376' : '2375');
    const tls = url.protocol === 'https:' || env.DOCKER_TLS_VERIFY === '1' || port === '2376';
    return {
      options: { protocol: tls ? 'https' : 'http', host: url.hostname, port, ...(tls ? tlsFiles(env) : {}) },
      where: `${url.protocol === 'https:' ? 'https' : 'tcp'}://${url.hostname}:${port}`,
    };
  }
  throw badHost(value);
}

/** A dockerode client for `host` (else `DOCKER_HOST`, else the default socket). */
export function dockerFromEnv(host?: string): Dockerode {
  const endpoint = dockerEndpoint(host);
  const docker = new Dockerode(endpoint.options);
  if (endpoint.hostKey !== undefined) hostKeyOf.set(docker, endpoint.hostKey);
  return docker;
}

/** Where a client made by {@link dockerFromEnv} (or by hand) talks to, for messages. */
export function describeDocker(docker: Dockerode): string {
  const modem: unknown = docker.modem;
  if (typeof modem !== 'object' || modem === null) return 'the Docker engine';
  const fields = modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown; username?: unknown };
  if (typeof fields.socketPath === 'string') return fields.socketPath;
  if (typeof fields.host === 'string') {
    const scheme = fields.protocol === 'ssh' ? 'ssh' : fields.protocol === 'https' ? 'https' : 'tcp';
    const user = scheme === 'ssh' && typeof fields.username === 'string' ? `${fields.username}@` : '';
    return `${scheme}://${user}${fields.host}${fields.port ? `:${String(fields.port)}` : ''}`;
  }
  return DEFAULT_SOCKET;
}

/** Turns a failed Engine API call into the error the user sees: unreachable engine, or the engine's reason. */
export function engineError(docker: Dockerode, e: unknown): ContainerError {
  if (ContainerError.is(e)) return e;
  if (dockerStatus(e) === undefined) {
    const where = describeDocker(docker);
    // ssh2 says only "Host denied (verification failed)"; the verifier knows why.
    const hostKeyProblem = hostKeyOf.get(docker)?.problem;
    if (hostKeyProblem !== undefined && e instanceof Error && e.message.includes('verification failed')) {
      return new ContainerError('docker_unreachable', `Docker at ${where} refused: ${hostKeyProblem}`, { cause: e });
    }
    const why =
      errnoCode(e) === 'EACCES'
        ? `Permission denied on ${where} — add your user to the docker group or set cronium.docker.host`
        : `Docker is not reachable at ${where} — start Docker or set cronium.docker.host`;
    return new ContainerError('docker_unreachable', why, { cause: e });
  }
  return new ContainerError('setup_failed', `Docker could not start the job: ${dockerReason(e)}`, { cause: e });
}

function tlsFiles(env: NodeJS.ProcessEnv): Pick<Dockerode.DockerOptions, 'ca' | 'cert' | 'key'> {
  const dir = env.DOCKER_CERT_PATH;
  if (dir === undefined || dir === '') return {};
  try {
    return {
      ca: readFileSync(join(dir, 'ca.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
      key: readFileSync(join(dir, 'key.pem')),
    };
  } catch (e) {
    throw new ContainerError('docker_unreachable', `Cannot read the TLS certificates in DOCKER_CERT_PATH=${dir}`, { cause: e });
  }
}

function badHost(value: string): ContainerError {
  return new ContainerError(
    'docker_unreachable',
    `Docker host "${value}" is not a socket path, unix://, tcp:// or ssh:// address — fix cronium.docker.host or DOCKER_HOST`,
  );
}
