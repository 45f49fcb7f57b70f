import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait';

export const SSHD = '/usr/sbin/sshd';
export const TEST_USER = 'cronium-test';
/** The test user's password (sshd takes it only where a test asks for password logins). */
export const TEST_PASSWORD = 'pw with spaces, quotes \' " and $(no-subst)';

export interface SshdOptions {
  /** Also accept the test user's password ({@link TEST_PASSWORD}). */
  password?: boolean;
}

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
  private stderr = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly clientKey: string,
    private child: ChildProcess,
  ) {}

  /** Logins sshd accepted so far (it logs each to stderr). */
  get logins(): number {
    return this.stderr.split('\n').filter((line) => line.startsWith('Accepted publickey') || line.startsWith('Accepted password')).length;
  }

  /** Sessions (logged-in connections) open now: the processes sshd forked for them. */
  sessions(): number {
    try {
      return execFileSync('pgrep', ['-P', String(this.child.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  }

  /** What sshd logged so far. */
  get log(): string {
    return this.stderr;
  }

  get hostKeyFile(): string {
    return join(this.dir, 'host_ed25519');
  }

  /** The host key's fingerprint as `ssh-keygen -lf` prints it (SHA256:…). */
  hostKeyFingerprint(): string {
    const line = execFileSync('ssh-keygen', ['-lf', `${this.hostKeyFile}.pub`], { encoding: 'utf8' });
    return line.split(' ')[1];
  }

  /** Stops sshd (established sessions go too), keeping its folder, so that it can be started again. */
  async halt(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    // Sessions sshd forked for logins outlive the listener: they are ended too, as a reboot would.
    let sessions: number[] = [];
    try {
      sessions = execFileSync('pgrep', ['-P', String(this.child.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    } catch {
      // none
    }
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
    for (const pid of sessions) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
  }

  /** Starts sshd again on its port, with a new host key when asked (a reinstalled server). */
  async resume(options: { newHostKey?: boolean } = {}): Promise<void> {
    if (options.newHostKey) {
      rmSync(this.hostKeyFile, { force: true });
      rmSync(`${this.hostKeyFile}.pub`, { force: true });
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', this.hostKeyFile]);
    }
    this.child = await this.launch();
  }

  private async launch(): Promise<ChildProcess> {
    const child = spawn(SSHD, ['-D', '-e', '-f', join(this.dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const mark = this.stderr.length;
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    await waitFor(`sshd on port ${this.port}`, () => {
      if (child.exitCode !== null) throw new Error(`sshd exited: ${this.stderr.slice(mark)}`);
      return this.stderr.slice(mark).includes(`Server listening on 127.0.0.1 port ${this.port}`);
    });
    return child;
  }

  static async start(options: SshdOptions = {}): Promise<TestSshd> {
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
        `PasswordAuthentication ${options.password ? 'yes' : 'no'}`,
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'AllowTcpForwarding yes',
        `AllowUsers ${TEST_USER}`,
        'MaxSessions 20',
        '',
      ].join('\n'),
    );
    const sshd = new TestSshd(dir, port, clientKey, undefined as unknown as ChildProcess);
    sshd.child = await sshd.launch();
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

  /** The private key a client logs in with (OpenSSH form). */
  clientKeyText(): string {
    return readFileSync(this.clientKey, 'utf8');
  }

  /** A new client key with `passphrase`, authorized next to the first one. Returns its file. */
  addClientKey(name: string, passphrase: string): string {
    const file = join(this.dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', file]);
    writeFileSync(join(this.dir, 'authorized_keys'), readFileSync(`${file}.pub`), { flag: 'a' });
    return file;
  }
}

function ensureUser(name: string): void {
  try {
    execFileSync('id', [name], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', name]);
  }
  // A new account is locked ('!'), and sshd without PAM refuses locked accounts even for key logins: it
  // gets a password, which only an sshd started with `password: true` accepts.
  execFileSync('chpasswd', { input: `${name}:${TEST_PASSWORD}\n` });
}
