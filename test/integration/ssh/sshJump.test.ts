import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cronium } from '../../helpers/cli';
import { DaemonProcess } from '../../helpers/daemonProcess';
import { requireService } from '../../helpers/services';
import { sshdProblem, TEST_USER, TestSshd } from '../../helpers/sshd';
import { makeTempHome, removeHome } from '../../helpers/tempHome';

describe('SSH through a jump server (ProxyJump)', function () {
  this.timeout(60_000);
  let home: string;
  let daemon: DaemonProcess;
  let bastion: TestSshd;
  let target: TestSshd;

  before(async function () {
    requireService(this, 'sshd', sshdProblem());
    bastion = await TestSshd.start();
    target = await TestSshd.start();
    home = makeTempHome();
    daemon = await DaemonProcess.start(home);
  });
  after(async () => {
    await daemon?.stop();
    bastion?.stop();
    target?.stop();
    if (home) removeHome(home);
  });

  it('adds an ~/.ssh/config alias with ProxyJump and runs on it through the bastion', async () => {
    const config = join(home, 'ssh_config');
    writeFileSync(
      config,
      [
        'Host bastion',
        '  HostName 127.0.0.1',
        `  Port ${bastion.port}`,
        `  User ${TEST_USER}`,
        `  IdentityFile ${bastion.clientKey}`,
        'Host inner',
        '  HostName 127.0.0.1',
        `  Port ${target.port}`,
        `  User ${TEST_USER}`,
        `  IdentityFile ${target.clientKey}`,
        '  ProxyJump bastion',
        '',
      ].join('\n'),
    );
    const addBastion = await cronium(home, ['servers', 'add', 'bastion', '--from-ssh-config', 'bastion', '--ssh-config', config, '--trust-fingerprint', bastion.hostKeyFingerprint()]);
    assert.equal(addBastion.code, 0, addBastion.stderr);
    const add = await cronium(home, ['servers', 'add', 'inner', '--from-ssh-config', 'inner', '--ssh-config', config, '--json']);
    assert.equal(add.code, 0, add.stderr);
    assert.equal((JSON.parse(add.stdout) as { server: { jump: string } }).server.jump, 'bastion');

    const bastionLogins = bastion.logins;
    const trust = await cronium(home, ['servers', 'trust', 'inner']);
    assert.equal(trust.code, 0, trust.stderr);
    assert.equal(trust.stdout, `trusted inner: ssh-ed25519 ${target.hostKeyFingerprint()}\n`, 'the key of the server behind the bastion');
    const script = join(home, 'port.sh');
    writeFileSync(script, 'echo "on port ${SSH_CONNECTION##* }"\n');
    const run = await cronium(home, ['run', script, '--server', 'inner']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `on port ${target.port}\n`);
    assert.ok(bastion.logins > bastionLogins, 'the connection went through the bastion');

    const removeBastion = await cronium(home, ['servers', 'remove', 'bastion']);
    assert.equal(removeBastion.code, 2);
    assert.match(removeBastion.stderr, /bastion is the jump server of inner/);
  });
});
