import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';
import { hostKeyOf, type HostKey } from './hostKey';
import { changedKey, describeServer, SshFailure, unknownKey, type SshServerConfig } from './sshServer';

/** What a connection attempt is for: a login (jobs, tests), or only the host key (trust). */
type Purpose = 'login' | 'scan';

/** A connection attempt refused by our host-key check: the key it showed, and what to say. */
interface Verdict {
  seen?: HostKey;
  refusal?: SshFailure;
}

/**
 * One connection attempt, logged in. The host key is checked against the trusted one before anything
 * else is sent (ssh2 asks before authentication): an unknown or changed key ends the attempt there.
 */
export async function connectOnce(server: SshServerConfig, options: { timeoutMs: number; keepaliveMs: number }): Promise<Client> {
  const { result } = await throughJump(server, options, async (sock) => (await attempt(server, options, 'login', sock)).client as Client);
  return result;
}

/** The key a server shows, without logging in (for `servers trust`); through its jump server, if any. */
export async function scanHostKey(server: SshServerConfig, timeoutMs: number): Promise<HostKey> {
  const { result, jump } = await throughJump(server, { timeoutMs, keepaliveMs: 0 }, async (sock) => (await attempt(server, { timeoutMs, keepaliveMs: 0 }, 'scan', sock)).seen as HostKey);
  jump?.end();
  return result;
}

/**
 * ProxyJump: logs in to the server's jump server (its own host key checked as any other), opens a
 * direct-tcpip channel from it to the server, and hands that channel to `connect` as the socket. The
 * jump connection lives as long as the connection made over it.
 */
async function throughJump<T>(
  server: SshServerConfig,
  options: { timeoutMs: number; keepaliveMs: number },
  connect: (sock: Duplex | undefined) => Promise<T>,
): Promise<{ result: T; jump?: Client }> {
  if (server.jump === undefined) return { result: await connect(undefined) };
  const jump = await connectOnce(server.jump, options);
  try {
    const sock = await new Promise<Duplex>((resolve, reject) =>
      jump.forwardOut('127.0.0.1', 0, server.host, server.port, (error, stream) =>
        error ? reject(unreachable(server, `${server.jump?.name} could not reach it (${error.message})`)) : resolve(stream),
      ),
    );
    const result = await connect(sock);
    if (result instanceof Client) {
      result.once('close', () => jump.end());
      jump.once('close', () => result.end());
    }
    return { result, jump };
  } catch (e) {
    jump.end();
    throw e;
  }
}

function attempt(
  server: SshServerConfig,
  options: { timeoutMs: number; keepaliveMs: number },
  purpose: Purpose,
  sock?: Duplex,
): Promise<{ client?: Client; seen?: HostKey }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const verdict: Verdict = {};
    let settled = false;
    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      if (error === undefined) resolve({ client, seen: verdict.seen });
      else {
        client.end();
        reject(error);
      }
    };
    const config: ConnectConfig = {
      host: server.host,
      port: server.port,
      username: server.username,
      readyTimeout: options.timeoutMs,
      keepaliveInterval: options.keepaliveMs,
      keepaliveCountMax: 3,
      tryKeyboard: false,
      ...(sock === undefined ? {} : { sock }),
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        const seen = hostKeyOf(key);
        verdict.seen = seen;
        if (purpose === 'scan') {
          // All we came for. Settled first: the refusal makes ssh2 emit its error at once.
          settled = true;
          resolve({ seen });
          verify(false);
          setImmediate(() => client.end());
          return;
        }
        const trusted = server.hostKey;
        if (trusted === undefined) verdict.refusal = unknownKey(server, seen);
        else if (trusted.fingerprint !== seen.fingerprint) verdict.refusal = changedKey(server, trusted, seen);
        verify(verdict.refusal === undefined); // a refusal emits ssh2's error, which settles with verdict.refusal
      },
      ...authConfig(server),
    };
    client.on('ready', () => {
      // Without it, Nagle's algorithm holds each small packet (a channel open, an exec) for the last one's ACK.
      client.setNoDelay(true);
      settle(undefined);
    });
    client.on('error', (e: Error & { level?: string }) => settle(verdict.refusal ?? failureOf(server, e)));
    client.on('close', () => settle(verdict.refusal ?? unreachable(server, 'the connection closed during the handshake')));
    try {
      client.connect(config);
    } catch (e) {
      // ssh2 reads the private key synchronously: a wrong passphrase or a key it cannot parse lands here.
      settle(
        new SshFailure('ssh_auth_failed', `The private key of ${describeServer(server)} cannot be used: ${(e as Error).message}`, {
          server: server.name,
        }),
      );
    }
  });
}

function authConfig(server: SshServerConfig): Partial<ConnectConfig> {
  const auth = server.auth;
  switch (auth.method) {
    case 'key':
      return { privateKey: auth.privateKey, ...(auth.passphrase === undefined ? {} : { passphrase: auth.passphrase }) };
    case 'password':
      return { password: auth.password };
    case 'agent':
      return { agent: auth.socket ?? process.env.SSH_AUTH_SOCK };
  }
}

/** ssh2's error levels: `client-authentication` is a refused login; the rest say the server is not there. */
function failureOf(server: SshServerConfig, e: Error & { level?: string }): SshFailure {
  if (e.level === 'client-authentication') {
    const how = { key: 'the key', password: 'the password', agent: "the agent's keys" }[server.auth.method];
    return new SshFailure('ssh_auth_failed', `${describeServer(server)} refused the login of ${server.username} with ${how}`, {
      server: server.name,
    });
  }
  if (e.level === 'agent') {
    return new SshFailure('ssh_auth_failed', `The ssh-agent for ${describeServer(server)} cannot be used: ${e.message}`, { server: server.name });
  }
  if (e.level === 'client-timeout') return unreachable(server, 'no answer within the connect timeout');
  return unreachable(server, e.message);
}

function unreachable(server: SshServerConfig, why: string): SshFailure {
  return new SshFailure('ssh_unreachable', `Cannot connect to ${describeServer(server)}: ${why}`, { server: server.name });
}
