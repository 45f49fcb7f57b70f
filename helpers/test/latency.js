'use strict';
/**
 * Measures the per-call latency of the helpers against the fake runtime API (127.0.0.1):
 *   node helpers/test/latency.js [calls]
 * Prints one line per helper form; the numbers in helpers/README.md come from here.
 */
const { execFile, spawnSync } = require('node:child_process');
const { mkdtempSync, writeFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { promisify } = require('node:util');
const { startFakeApi } = require('./fakeApi');

const HELPERS = resolve(__dirname, '..');
const CALLS = Number(process.argv[2]) || 200;
const run = promisify(execFile);

async function main() {
  // The fake API must stay responsive while the measured scripts run, so they are started asynchronously.
  const api = await startFakeApi({ variables: { k: 'v' } });
  const dir = mkdtempSync(join(tmpdir(), 'cronium-latency-'));
  const env = { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1', ...api.env() };
  const rows = [];
  try {
    const nodeScript = join(dir, 'sync.js');
    writeFileSync(nodeScript, `
      let t = process.hrtime.bigint(); cronium.getVariable('k'); const first = Number(process.hrtime.bigint() - t) / 1e6;
      t = process.hrtime.bigint(); for (let i = 0; i < ${CALLS}; i++) cronium.getVariable('k');
      console.log(JSON.stringify({ first, each: Number(process.hrtime.bigint() - t) / 1e6 / ${CALLS} }));`);
    const nodeSync = JSON.parse((await run(process.execPath, ['--require', join(HELPERS, 'cronium.js'), nodeScript], { env })).stdout);
    rows.push(['Node global cronium.getVariable() (sync, worker thread)', nodeSync.each, `first call ${nodeSync.first.toFixed(1)} ms (starts the worker)`]);

    const asyncScript = join(dir, 'async.js');
    writeFileSync(asyncScript, `const c = require(${JSON.stringify(join(HELPERS, 'cronium.js'))});
      (async () => { await c.getVariable('k'); const t = process.hrtime.bigint();
        for (let i = 0; i < ${CALLS}; i++) await c.getVariable('k');
        console.log(JSON.stringify({ each: Number(process.hrtime.bigint() - t) / 1e6 / ${CALLS} })); })();`);
    const nodeAsync = JSON.parse((await run(process.execPath, [asyncScript], { env })).stdout);
    rows.push(["Node require('cronium').getVariable() (await)", nodeAsync.each, '']);

    // The alternative to the worker: one node child process per synchronous call (spawnSync).
    const spawnScript = join(dir, 'spawn.js');
    writeFileSync(spawnScript, `const { spawnSync } = require('node:child_process');
      const code = "require('node:http').get(process.env.CRONIUM_RUNTIME_API + '/health', (r) => r.resume())";
      const n = Math.max(10, Math.round(${CALLS} / 10)); const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) spawnSync(process.execPath, ['-e', code]);
      console.log(JSON.stringify({ each: Number(process.hrtime.bigint() - t) / 1e6 / n }));`);
    const spawned = JSON.parse((await run(process.execPath, [spawnScript], { env })).stdout);
    rows.push(['(alternative not taken) node child process per sync call', spawned.each, 'spawnSync baseline']);

    const pyScript = join(dir, 'job.py');
    writeFileSync(pyScript, `import json, time
t = time.perf_counter(); cronium.getVariable('k'); first = (time.perf_counter() - t) * 1000
t = time.perf_counter()
for _ in range(${CALLS}): cronium.getVariable('k')
print(json.dumps({"first": first, "each": (time.perf_counter() - t) * 1000 / ${CALLS}}))
`);
    const py = JSON.parse((await run('python3', [join(HELPERS, 'cronium.py'), pyScript], { env })).stdout);
    rows.push(['Python global cronium.getVariable() (sync, urllib)', py.each, `first call ${py.first.toFixed(1)} ms`]);

    const n = Math.max(10, Math.round(CALLS / 10));
    for (const tool of ['jq', 'python3', 'node']) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) continue;
      const sh = join(dir, 'job.sh');
      writeFileSync(sh, `s=$(date +%s%N); for i in $(seq ${n}); do cronium_get_variable k >/dev/null; done; echo $(( ($(date +%s%N) - s) / ${n} ))`);
      const { stdout } = await run('bash', [sh], { env: { ...env, BASH_ENV: join(HELPERS, 'cronium.sh'), CRONIUM_JSON_TOOL: tool } });
      rows.push([`Bash cronium_get_variable (curl + ${tool})`, Number(stdout) / 1e6, '']);
    }

    const time = async (command, args) => {
      const t = process.hrtime.bigint();
      for (let i = 0; i < 20; i++) await run(command, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, PYTHONDONTWRITEBYTECODE: '1' } });
      return Number(process.hrtime.bigint() - t) / 1e6 / 20;
    };
    const bare = await time(process.execPath, ['-e', '0']);
    const preloaded = await time(process.execPath, ['--require', join(HELPERS, 'cronium.js'), '-e', '0']);
    rows.push(['Node start-up cost of --require cronium.js', preloaded - bare, `${bare.toFixed(1)} ms -> ${preloaded.toFixed(1)} ms`]);
    const empty = join(dir, 'empty.py');
    writeFileSync(empty, '');
    const pyBare = await time('python3', [empty]);
    const pyBoot = await time('python3', [join(HELPERS, 'cronium.py'), empty]);
    rows.push(['Python start-up cost of the cronium.py bootstrap', pyBoot - pyBare, `${pyBare.toFixed(1)} ms -> ${pyBoot.toFixed(1)} ms`]);
    const sh = join(dir, 'empty.sh');
    writeFileSync(sh, '');
    const shBare = await time('bash', [sh]);
    const shEnv = await time('sh', ['-c', `BASH_ENV=${join(HELPERS, 'cronium.sh')} exec bash ${sh}`]);
    const shPlain = await time('sh', ['-c', `exec bash ${sh}`]);
    rows.push(['Bash start-up cost of BASH_ENV=cronium.sh', shEnv - shPlain, `${shBare.toFixed(1)} ms -> ${(shBare + shEnv - shPlain).toFixed(1)} ms`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await api.close();
  }
  console.log(`node ${process.version}, ${CALLS} calls each (bash: ${Math.max(10, Math.round(CALLS / 10))})`);
  for (const [what, ms, note] of rows) console.log(`${ms.toFixed(2).padStart(8)} ms  ${what}${note ? `  [${note}]` : ''}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
