import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait';

export const SSHD = '/usr/sbin/sshd';
export const TEST_USER = 'cronium-test';

/** Why a test sshd cannot be started here, or undefined. */
export function sshdProblem(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is missing; apt-get install openssh-server`;
  if (process.getuid?.() !== 0) return 'starting sshd for tests needs root';
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return 'ssh-keygen is missing; apt-get install openssh-client';
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** An sshd of the test's own on 127.0.0.1: temporary config, host key, user and client key. */
export class TestSshd {
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly clientKey: string,
    private readonly child: ChildProcess,
    private readonly log: () => string,
  ) {}

  /** Logins sshd accepted so far (it logs each to stderr). */
  get logins(): number {
    return this.log().split('\n').filter((line) => line.startsWith('Accepted publickey')).length;
  }

  static async start(): Promise<TestSshd> {
    const dir = mkdtempSync(join(tmpdir(), 'cronium-sshd-'));
    chmodSync(dir, 0o755); // sshd reads authorized_keys as the test user
    const hostKey = join(dir, 'host_ed25519');
    const clientKey = join(dir, 'client_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o644 });
    ensureUser(TEST_USER);
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `ListenAddress 127.0.0.1`,
        `Port ${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'AllowTcpForwarding yes',
        `AllowUsers ${TEST_USER}`,
        '',
      ].join('\n'),
    );
    const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const sshd = new TestSshd(dir, port, clientKey, child, () => stderr);
    await waitFor(`sshd on port ${port}`, () => {
      if (child.exitCode !== null) throw new Error(`sshd exited: ${stderr}`);
      return stderr.includes(`Server listening on 127.0.0.1 port ${port}`);
    });
    return sshd;
  }

  /** Runs a command on the test host with the OpenSSH client. */
  exec(command: string): string {
    return execFileSync(
      'ssh',
      [
        '-i', this.clientKey,
        '-p', String(this.port),
        '-o', 'BatchMode=yes',
        '-o', `UserKnownHostsFile=${join(this.dir, 'known_hosts')}`,
        '-o', 'StrictHostKeyChecking=accept-new',
        '-o', 'LogLevel=ERROR',
        `${TEST_USER}@127.0.0.1`,
        command,
      ],
      { encoding: 'utf8', timeout: 15_000 },
    );
  }

  stop(): void {
    this.child.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function ensureUser(name: string): void {
  try {
    execFileSync('id', [name], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', name]);
  }
  // A new account is locked ('!'), and sshd without PAM refuses locked accounts even for key logins.
  execFileSync('usermod', ['-p', '*', name]);
}
