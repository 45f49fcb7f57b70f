import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { errnoCode } from '../../errors';
import { ContainerError, dockerReason, dockerStatus } from './containerErrors';
import { SshDialAgent, SshDialError, sshAdvice } from './sshDial';

const DEFAULT_SOCKET = '/var/run/docker.sock';

/** How to reach an engine, and how to name that place in a message to the user. */
export interface DockerEndpoint {
  options: Dockerode.DockerOptions;
  /** `/var/run/docker.sock`, `tcp://host:2375`, `ssh://user@host` … */
  where: string;
}

/** Where each client made by {@link dockerFromEnv} talks to, as the user wrote it (for ssh://). */
const whereOf = new WeakMap<Dockerode, string>();

/** Closes what a client made by {@link dockerFromEnv} keeps open: for ssh://, its ssh processes. */
export function releaseDocker(docker: Dockerode): void {
  const agent: unknown = (docker.modem as { agent?: unknown }).agent;
  if (agent instanceof SshDialAgent) agent.destroy();
}

/**
 * Reads a Docker host as users write it (the `cronium.docker.host` setting or `DOCKER_HOST`): a unix socket
 * path, `unix://`, `npipe://`, `tcp://` (TLS when `DOCKER_TLS_VERIFY=1` or port 2376, certificates from
 * `DOCKER_CERT_PATH`) or `ssh://[user@]host[:port]` (through the user's ssh, as the docker CLI does:
 * ~/.ssh/config, ssh-agent and known_hosts apply; `CRONIUM_SSH_COMMAND` replaces `ssh`).
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
    // Through the user's own ssh, as the docker CLI does (sshDial.ts).
    const target = {
      host: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      user: url.username ? decodeURIComponent(url.username) : undefined,
      sshCommand: env.CRONIUM_SSH_COMMAND?.trim() || 'ssh',
    };
    const where = `ssh://${url.username ? `${url.username}@` : ''}${url.host}`;
    // docker-modem takes an http.Agent (`agent`), which its types leave out.
    const options = { protocol: 'http', host: url.hostname, agent: new SshDialAgent(target) } as Dockerode.DockerOptions;
    return { options, where };
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
  whereOf.set(docker, endpoint.where);
  return docker;
}

/** Where a client made by {@link dockerFromEnv} (or by hand) talks to, for messages. */
export function describeDocker(docker: Dockerode): string {
  const known = whereOf.get(docker);
  if (known !== undefined) return known;
  const modem: unknown = docker.modem;
  if (typeof modem !== 'object' || modem === null) return 'the Docker engine';
  const fields = modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof fields.socketPath === 'string') return fields.socketPath;
  if (typeof fields.host === 'string') {
    const scheme = fields.protocol === 'https' ? 'https' : 'tcp';
    return `${scheme}://${fields.host}${fields.port ? `:${String(fields.port)}` : ''}`;
  }
  return DEFAULT_SOCKET;
}

/** Turns a failed Engine API call into the error the user sees: unreachable engine, or the engine's reason. */
export function engineError(docker: Dockerode, e: unknown): ContainerError {
  if (ContainerError.is(e)) return e;
  if (dockerStatus(e) === undefined) {
    const where = describeDocker(docker);
    if (e instanceof SshDialError) {
      return new ContainerError('docker_unreachable', `Docker at ${where} is not reachable over ssh: ${sshAdvice(e)}`, { cause: e });
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
