import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cronium } from '../../helpers/cli';
import { DaemonProcess } from '../../helpers/daemonProcess';
import { requireService } from '../../helpers/services';
import { sshdProblem, TEST_PASSWORD, TEST_USER, TestSshd } from '../../helpers/sshd';
import { makeTempHome, removeHome } from '../../helpers/tempHome';
import { waitFor } from '../../helpers/wait';

describe('SSH servers: trust, host keys, logins (CLI)', function () {
  this.timeout(90_000);
  let home: string;
  let daemon: DaemonProcess;
  let sshd: TestSshd;
  let script: string;
  const marker = `/tmp/cronium-ran-${process.pid}`;

  before(async function () {
    requireService(this, 'sshd', sshdProblem());
    sshd = await TestSshd.start({ password: true });
    home = makeTempHome();
    daemon = await DaemonProcess.start(home);
    script = join(home, 'touch.sh');
    writeFileSync(script, `touch ${marker}\necho "ran on the server"\n`);
  });
  after(async () => {
    await daemon?.stop();
    sshd?.stop();
    if (home) removeHome(home);
    rmSync(marker, { force: true });
  });
  beforeEach(() => rmSync(marker, { force: true }));

  it('refuses a field that is not valid, naming it', async () => {
    const bad = await cronium(home, ['servers', 'add', 'bad', '--host', 'no such host!', '--agent']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /host: is not a host name or IP address/);
    const port = await cronium(home, ['servers', 'add', 'bad', '--host', 'h', '--port', '70000', '--agent']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port must be a port from 1 to 65535/);
  });

  it('refuses to run on a server whose key is not trusted, with the fingerprint; runs once it is trusted', async () => {
    const key = join(home, 'id_box');
    writeFileSync(key, sshd.clientKeyText(), { mode: 0o600 });
    const add = await cronium(home, ['servers', 'add', 'box', '--host', '127.0.0.1', '--port', String(sshd.port), '--user', TEST_USER, '--key', key]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /not trusted yet.*cronium servers trust box/);

    const refused = await cronium(home, ['run', script, '--server', 'box']);
    assert.equal(refused.code, 1);
    const fingerprint = sshd.hostKeyFingerprint();
    assert.ok(refused.stderr.includes(`is not trusted yet: it shows ssh-ed25519 ${fingerprint}; nothing ran`), refused.stderr);
    assert.ok(!existsSync(marker), 'nothing ran on the server');

    const wrong = await cronium(home, ['servers', 'trust', 'box', '--fingerprint', `SHA256:${'A'.repeat(43)}`]);
    assert.equal(wrong.code, 1);
    assert.ok(wrong.stderr.includes(`shows ssh-ed25519 ${fingerprint}, not SHA256:${'A'.repeat(43)}; nothing was trusted`), wrong.stderr);

    const trust = await cronium(home, ['servers', 'trust', 'box']);
    assert.equal(trust.code, 0, trust.stderr);
    assert.equal(trust.stdout, `trusted box: ssh-ed25519 ${fingerprint}\n`);
    const ran = await cronium(home, ['run', script, '--server', 'box']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'ran on the server\n');
    assert.ok(existsSync(marker));
  });

  it('refuses a changed host key naming the old and new fingerprints, and runs nothing', async () => {
    const old = sshd.hostKeyFingerprint();
    await sshd.halt();
    await sshd.resume({ newHostKey: true });
    const now = sshd.hostKeyFingerprint();
    assert.notEqual(old, now);
    const refused = await cronium(home, ['run', script, '--server', 'box']);
    assert.equal(refused.code, 1);
    assert.ok(
      refused.stderr.includes(`changed: trusted ssh-ed25519 ${old}, the server now shows ssh-ed25519 ${now}; nothing ran`),
      refused.stderr,
    );
    assert.ok(!existsSync(marker), 'nothing ran on the server');
    const test = await cronium(home, ['servers', 'test', 'box', '--json']);
    assert.equal(test.code, 1);
    const result = JSON.parse(test.stdout) as { ok: boolean; error: { kind: string }; hostKey: { fingerprint: string } };
    assert.equal(result.error.kind, 'host_key_changed');
    assert.equal(result.hostKey.fingerprint, now);

    const trust = await cronium(home, ['servers', 'trust', 'box', '--fingerprint', now]);
    assert.equal(trust.code, 0, trust.stderr);
    assert.match(trust.stdout, new RegExp(`replaces ssh-ed25519 ${old.replace(/[+/]/g, '\\$&')}`));
    assert.equal((await cronium(home, ['run', script, '--server', 'box'])).code, 0);
  });

  it('logs in with a key that has a passphrase, and keeps the passphrase out of every output', async () => {
    const passphrase = 'correct horse $(battery) staple';
    const key = sshd.addClientKey('pass_ed25519', passphrase);
    const add = await cronium(
      home,
      ['servers', 'add', 'locked', '--host', '127.0.0.1', '--port', String(sshd.port), '--user', TEST_USER, '--key', key, '--passphrase-stdin', '--trust-fingerprint', sshd.hostKeyFingerprint()],
      { input: `${passphrase}\n` },
    );
    assert.equal(add.code, 0, add.stderr);
    const ran = await cronium(home, ['run', script, '--server', 'locked']);
    assert.equal(ran.code, 0, ran.stderr);
    const show = await cronium(home, ['servers', 'show', 'locked', '--json']);
    const server = (JSON.parse(show.stdout) as { server: { hasKey: boolean; hasPassphrase: boolean; auth: string } }).server;
    assert.equal(server.auth, 'key');
    assert.equal(server.hasPassphrase, true);
    assertNowhere(home, [passphrase, readFileSync(key, 'utf8').split('\n')[1]], [show.stdout, ran.stdout, ran.stderr]);
  });

  it('logs in with a password read from stdin, kept encrypted at rest', async () => {
    const add = await cronium(
      home,
      ['servers', 'add', 'pw', '--host', '127.0.0.1', '--port', String(sshd.port), '--user', TEST_USER, '--password-stdin', '--trust-fingerprint', sshd.hostKeyFingerprint()],
      { input: `${TEST_PASSWORD}\n` },
    );
    assert.equal(add.code, 0, add.stderr);
    const ran = await cronium(home, ['run', script, '--server', 'pw']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.ok(sshd.log.includes(`Accepted password for ${TEST_USER}`));
    const printer = join(home, 'print-pw.sh');
    writeFileSync(printer, 'echo "password: $PW"\n');
    const masked = await cronium(home, ['run', printer, '--server', 'pw', '-e', 'PW'], { env: { PW: TEST_PASSWORD } });
    assert.equal(masked.stdout, 'password: ***\n', 'a server password a job prints is masked in its log');
    const wrong = await cronium(home, ['servers', 'update', 'pw', '--password-stdin'], { input: 'not the password\n' });
    assert.equal(wrong.code, 0, wrong.stderr);
    const refused = await cronium(home, ['run', script, '--server', 'pw']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused the login of cronium-test with the password/);
    const list = await cronium(home, ['servers', 'list', '--json']);
    assertNowhere(home, [TEST_PASSWORD, 'not the password'], [list.stdout, refused.stderr]);
  });

  it('logs in with the keys of ssh-agent', async () => {
    const socket = join(sshd.dir, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      await waitFor('ssh-agent', () => existsSync(socket));
      execFileSync('ssh-add', [sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const add = await cronium(home, ['servers', 'add', 'agent', '--host', '127.0.0.1', '--port', String(sshd.port), '--user', TEST_USER, '--agent', '--trust-fingerprint', sshd.hostKeyFingerprint()], {
        env: { SSH_AUTH_SOCK: socket },
      });
      assert.equal(add.code, 0, add.stderr);
      const ran = await cronium(home, ['run', script, '--server', 'agent']);
      assert.equal(ran.code, 0, ran.stderr);
      const test = await cronium(home, ['servers', 'test', 'agent']);
      assert.equal(test.code, 0, test.stderr);
      assert.match(test.stdout, /^agent: ok in \d+ms \(ssh-ed25519 SHA256:/);
    } finally {
      agent.kill();
    }
  });

  it('adds a server from a Host entry of an ssh config (HostName, Port, User, IdentityFile)', async () => {
    const config = join(home, 'ssh_config');
    writeFileSync(config, ['Host buildbox', '  HostName 127.0.0.1', `  Port ${sshd.port}`, `  User ${TEST_USER}`, `  IdentityFile ${sshd.clientKey}`, ''].join('\n'));
    const add = await cronium(home, ['servers', 'add', 'fromcfg', '--from-ssh-config', 'buildbox', '--ssh-config', config, '--trust-fingerprint', sshd.hostKeyFingerprint(), '--json']);
    assert.equal(add.code, 0, add.stderr);
    const { server } = JSON.parse(add.stdout) as { server: { host: string; port: number; username: string; auth: string } };
    assert.deepEqual([server.host, server.port, server.username, server.auth], ['127.0.0.1', sshd.port, TEST_USER, 'key']);
    assert.ok(!add.stdout.includes('PRIVATE KEY'), 'the key is not in the output');
    const ran = await cronium(home, ['run', script, '--server', 'fromcfg']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal((await cronium(home, ['servers', 'remove', 'fromcfg'])).code, 0);
  });

  it('trusts a key only when known_hosts holds it for [host]:port, hashed entries too', async () => {
    const add = await cronium(home, ['servers', 'add', 'kh', '--host', '127.0.0.1', '--port', String(sshd.port), '--user', TEST_USER, '--key', sshd.clientKey]);
    assert.equal(add.code, 0, add.stderr);
    const other = sshd.addClientKey('not_the_host_key', '');
    const file = join(home, 'known_hosts');
    writeFileSync(file, `[127.0.0.1]:${sshd.port} ${readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    const wrong = await cronium(home, ['servers', 'trust', 'kh', '--from-known-hosts', file]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /which .*known_hosts does not hold for it \(it has SHA256:\S+\); nothing was trusted/);
    writeFileSync(file, `[127.0.0.1]:${sshd.port} ${readFileSync(`${sshd.hostKeyFile}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    assert.match(readFileSync(file, 'utf8'), /^\|1\|/, 'the entry is hashed');
    const trust = await cronium(home, ['servers', 'trust', 'kh', '--from-known-hosts', file]);
    assert.equal(trust.code, 0, trust.stderr);
    assert.equal(trust.stdout, `trusted kh: ssh-ed25519 ${sshd.hostKeyFingerprint()}\n`);
    assert.equal((await cronium(home, ['servers', 'remove', 'kh'])).code, 0);
  });

  it('lists servers with their login, key, state and circuit', async () => {
    const list = await cronium(home, ['servers', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+LOGIN\s+AUTH\s+HOST KEY\s+STATE\s+CIRCUIT\s+LATENCY/);
    assert.match(list.stdout, new RegExp(`\\nbox\\s+${TEST_USER}@127\\.0\\.0\\.1:${sshd.port}\\s+key\\s+SHA256:\\S+\\s+online\\s+closed\\s+\\d+ms`));
    const remove = await cronium(home, ['servers', 'remove', 'agent']);
    assert.equal(remove.code, 0);
    const gone = await cronium(home, ['servers', 'show', 'agent']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No server agent — list them with `cronium servers list`/);
  });
});

/** None of `secrets` is in the outputs, the daemon's files (database, WAL, log) or the job logs. */
function assertNowhere(home: string, secrets: string[], outputs: string[]): void {
  const files = readdirSync(home, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
  for (const secret of secrets) {
    for (const output of outputs) assert.ok(!output.includes(secret), 'a secret is in the output');
    for (const file of files) assert.ok(!readFileSync(file).includes(secret), `a secret is in ${file}`);
  }
}
