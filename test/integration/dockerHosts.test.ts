import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cronium } from '../helpers/cli';
import { GetJobRequest } from '../../daemon/protocol/jobs';
import { DaemonProcess, runToEnd } from '../helpers/daemonProcess';
import { daemonIdOf, leftovers } from '../helpers/dockerLeftovers';
import { startEngineProxy } from '../helpers/engineProxy';
import { dockerProblem, requireService } from '../helpers/services';
import { sshdProblem, TEST_USER, TestSshd } from '../helpers/sshd';
import { makeTempHome, removeHome, writeScript } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';

/** A container job that uses the runtime API (through the sidecar relay) and the job's input. */
const SCRIPT = 'n = cronium.input()["n"]\ncronium.output({"twice": n * 2})\nprint("engine says hi", n)\n';

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

    /** A HOME for the daemon whose ~/.ssh/known_hosts holds `lines`. */
    function homeWithKnownHosts(lines: string[]): string {
      const dir = mkdtempSync(join(sshd.dir, 'user-'));
      mkdirSync(join(dir, '.ssh'), { mode: 0o700 });
      writeFileSync(join(dir, '.ssh', 'known_hosts'), lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
      return dir;
    }

    const hostKeyLine = () => `[127.0.0.1]:${sshd.port} ${readFileSync(join(sshd.dir, 'host_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}`;

    it('runs container jobs on the engine of an SSH host known to ~/.ssh/known_hosts (hashed), with the key from ssh-agent', async function () {
      const HOME = homeWithKnownHosts(['# other hosts', hostKeyLine()]);
      // Hashed host names (HashKnownHosts yes, Debian's default) are found as ssh finds them.
      execFileSync('ssh-keygen', ['-q', '-H', '-f', join(HOME, '.ssh', 'known_hosts')], { stdio: 'ignore' });
      assert.doesNotMatch(readFileSync(join(HOME, '.ssh', 'known_hosts'), 'utf8'), /127\.0\.0\.1/);
      await runThrough(`ssh://${TEST_USER}@127.0.0.1:${sshd.port}`, { SSH_AUTH_SOCK: agentSocket, HOME });
      assert.ok(sshd.logins > 0, 'the jobs went through ssh://');
    });

    it('refuses an SSH host that known_hosts does not hold, or holds with another key, and says what to do', async function () {
      const otherKey = join(sshd.dir, 'other_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
      const wrong = `[127.0.0.1]:${sshd.port} ${readFileSync(`${otherKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}`;
      const cases = [
        { lines: [], expect: new RegExp(`is not in ~/\\.ssh/known_hosts — connect once with \`ssh -p ${sshd.port} ${TEST_USER}@127\\.0\\.0\\.1\``) },
        { lines: [wrong], expect: /does not match ~\/\.ssh\/known_hosts: it was replaced, or someone is intercepting the connection/ },
      ];
      for (const { lines, expect } of cases) {
        const home = makeTempHome();
        const env = { DOCKER_HOST: `ssh://${TEST_USER}@127.0.0.1:${sshd.port}`, SSH_AUTH_SOCK: agentSocket, HOME: homeWithKnownHosts(lines) };
        const daemon = await DaemonProcess.start(home, env);
        try {
          const script = writeScript(home, 'hi.sh', 'echo hi\n');
          const logins = sshd.logins;
          const explicit = await cronium(home, ['run', script, '--target', 'container']);
          assert.equal(explicit.code, 1);
          assert.match(explicit.stderr, new RegExp(`Docker at ssh://${TEST_USER}@127\\.0\\.0\\.1:${sshd.port} refused: `));
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
