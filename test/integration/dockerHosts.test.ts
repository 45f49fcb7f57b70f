import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cronium } from '../helpers/cli';
import { GetJobRequest } from '../../daemon/protocol/jobs';
import { DaemonProcess, runToEnd } from '../helpers/daemonProcess';
import { daemonIdOf, leftovers } from '../helpers/dockerLeftovers';
import { startEngineProxy } from '../helpers/engineProxy';
import { dockerProblem, requireService } from '../helpers/services';
import { sshdProblem, TEST_USER, TestSshd } from '../helpers/sshd';
import { makeTempHome, removeHome, writeScript } from '../helpers/tempHome';
import { processAlive, waitFor } from '../helpers/wait';

/** A container job that uses the runtime API (through the sidecar relay) and the job's input. */
const SCRIPT = 'n = cronium.input()["n"]\ncronium.output({"twice": n * 2})\nprint("engine says hi", n)\n';

/** Live local ssh processes that dial the engine of `destination` (pids), from /proc. */
function sshDialers(destination: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args[0] === 'ssh' && args.includes('dial-stdio') && args.join(' ').includes(destination) && processAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Runs SCRIPT as a container job on a daemon whose engine is DOCKER_HOST=`host`; checks the user's view. */
async function runThrough(host: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const home = makeTempHome();
  const daemon = await DaemonProcess.start(home, { DOCKER_HOST: host, ...env });
  const daemonId = daemonIdOf(home);
  try {
    const client = await daemon.connect();
    for (const n of [1, 2]) {
      // The second job runs in a warm slot made over the same connection kind.
      const result = await runToEnd(client, { content: SCRIPT, runtime: 'python', target: 'container', input: { n } });
      assert.equal(result.job.status, 'succeeded', `${result.job.lastError ?? ''}\n${result.stderr}`);
      assert.equal(result.job.target, 'container');
      assert.equal(result.stdout, `engine says hi ${n}\n`);
      assert.deepEqual((await client.connection.sendRequest(GetJobRequest, { id: result.job.id })).output, { twice: n * 2 });
    }
    client.close();
    assert.equal(await daemon.stop(), 0);
    await waitFor('nothing of the daemon left on the engine', async () => {
      const left = await leftovers(`cronium.daemon=${daemonId}`);
      return left.containers.length + left.networks.length === 0;
    }, 20_000);
  } finally {
    await daemon.stop();
    removeHome(home);
  }
}

describe('Docker engines reached by DOCKER_HOST', function () {
  this.timeout(120_000);

  before(async function () {
    requireService(this, 'Docker', await dockerProblem());
  });

  it('runs container jobs on an engine at tcp://127.0.0.1', async function () {
    const engine = await startEngineProxy('tcp');
    try {
      assert.match(engine.address, /^tcp:\/\/127\.0\.0\.1:\d+$/);
      await runThrough(engine.address);
      assert.ok(engine.connections > 0, 'the jobs went through tcp://');
    } finally {
      await engine.close();
    }
  });

  describe('over ssh://', function () {
    let sshd: TestSshd;
    let agent: ChildProcess | undefined;
    let agentSocket: string;

    before(async function () {
      requireService(this, 'sshd', sshdProblem());
      sshd = await TestSshd.start();
      // The remote side runs `docker system dial-stdio` as the test user, as the docker CLI does.
      execFileSync('usermod', ['-aG', 'docker', TEST_USER]);
      agentSocket = join(sshd.dir, 'agent.sock');
      agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
      await waitFor('ssh-agent', () => {
        try {
          execFileSync('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket }, stdio: 'ignore' });
          return true;
        } catch (e) {
          return (e as { status?: number }).status === 1; // 1: the agent answers and holds no key yet
        }
      });
      execFileSync('ssh-add', [sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket }, stdio: 'ignore' });
    });

    after(function () {
      agent?.kill();
      sshd?.stop();
    });

    /** A known_hosts file holding `lines`, for ssh -o UserKnownHostsFile (ssh reads ~ from passwd, not $HOME). */
    function knownHosts(lines: string[]): string {
      const file = join(mkdtempSync(join(sshd.dir, 'known-')), 'known_hosts');
      writeFileSync(file, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
      return file;
    }

    const publicKey = (file: string) => readFileSync(file, 'utf8').split(' ').slice(0, 2).join(' ');
    const hostKeyLine = () => `[127.0.0.1]:${sshd.port} ${publicKey(join(sshd.dir, 'host_ed25519.pub'))}`;
    /** The user's ssh, told where known_hosts is (CRONIUM_SSH_COMMAND, like GIT_SSH_COMMAND). */
    const sshWith = (file: string) => `ssh -o UserKnownHostsFile=${file} -o GlobalKnownHostsFile=/dev/null`;

    it('runs container jobs on the engine of an SSH host in known_hosts (hashed), with the key from ssh-agent', async function () {
      const file = knownHosts(['# other hosts', hostKeyLine()]);
      // Hashed host names (HashKnownHosts yes, Debian's default) are found as ssh finds them.
      execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
      assert.doesNotMatch(readFileSync(file, 'utf8'), /127\.0\.0\.1/);
      const logins = sshd.logins;
      await runThrough(`ssh://${TEST_USER}@127.0.0.1:${sshd.port}`, { SSH_AUTH_SOCK: agentSocket, CRONIUM_SSH_COMMAND: sshWith(file) });
      assert.ok(sshd.logins > logins, 'the jobs went through ssh://');
      await waitFor('no ssh of the stopped daemon', () => sshDialers(`-p ${sshd.port} -- 127.0.0.1`).length === 0, 5000);
    });

    it('reaches an engine by an ~/.ssh/config alias, with the key file it names and no agent', async function () {
      const file = knownHosts([hostKeyLine()]);
      const config = join(mkdtempSync(join(sshd.dir, 'config-')), 'config');
      writeFileSync(
        config,
        [
          'Host buildbox',
          '  HostName 127.0.0.1',
          `  Port ${sshd.port}`,
          `  User ${TEST_USER}`,
          `  IdentityFile ${sshd.clientKey}`,
          '  IdentitiesOnly yes',
          `  UserKnownHostsFile ${file}`,
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      const logins = sshd.logins;
      await runThrough('ssh://buildbox', { SSH_AUTH_SOCK: '', CRONIUM_SSH_COMMAND: `ssh -F ${config}` });
      assert.ok(sshd.logins > logins, 'the jobs went through ssh://buildbox');
      await waitFor('no ssh of the stopped daemon', () => sshDialers('-- buildbox').length === 0, 5000);
    });

    it('refuses an SSH host that known_hosts does not hold, or holds with another key, and says what to do', async function () {
      const otherKey = join(sshd.dir, 'other_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
      const wrong = `[127.0.0.1]:${sshd.port} ${publicKey(`${otherKey}.pub`)}`;
      const cases = [
        { lines: [], expect: new RegExp(`the host key of 127\\.0\\.0\\.1 is not in known_hosts — connect once with \`ssh -p ${sshd.port} ${TEST_USER}@127\\.0\\.0\\.1\``) },
        { lines: [wrong], expect: /the host key of 127\.0\.0\.1 is not the one in known_hosts: it was replaced, or someone is intercepting the connection/ },
      ];
      for (const { lines, expect } of cases) {
        const home = makeTempHome();
        const env = {
          DOCKER_HOST: `ssh://${TEST_USER}@127.0.0.1:${sshd.port}`,
          SSH_AUTH_SOCK: agentSocket,
          CRONIUM_SSH_COMMAND: sshWith(knownHosts(lines)),
        };
        const daemon = await DaemonProcess.start(home, env);
        try {
          const script = writeScript(home, 'hi.sh', 'echo hi\n');
          const logins = sshd.logins;
          const explicit = await cronium(home, ['run', script, '--target', 'container']);
          assert.equal(explicit.code, 1);
          assert.match(explicit.stderr, new RegExp(`Docker at ssh://${TEST_USER}@127\\.0\\.0\\.1:${sshd.port} is not reachable over ssh: `));
          assert.match(explicit.stderr, expect);
          assert.equal(sshd.logins, logins, 'no login to a host that was not verified');
          // target auto runs on the host, with the same reason.
          const auto = await cronium(home, ['run', script]);
          assert.equal(auto.code, 0);
          assert.equal(auto.stdout, 'hi\n');
          assert.match(auto.stderr, expect);
        } finally {
          await daemon.stop();
          removeHome(home);
        }
      }
    });
  });
});
