// The same helper files inside the runtime images (cronium/bash, cronium/python, cronium/node with Node 18),
// run the way a container job is (read-only root, tmpfs /tmp, uid 1000, no capabilities). The repo's helper
// is mounted over the baked one, so a stale image still tests this checkout. Host networking reaches the
// fake API on 127.0.0.1. Skips when Docker or an image is missing, unless CRONIUM_TEST_STRICT=1.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { promisify } from 'node:util';
import { startFakeApi } from './fakeApi';
import { CRONIUM_JS, CRONIUM_PY, CRONIUM_SH, scriptDir } from './run';

type FakeApi = Awaited<ReturnType<typeof startFakeApi>>;
const execFileAsync = promisify(execFile);

function missingImage(image: string): string | undefined {
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore', timeout: 15_000 });
    return undefined;
  } catch {
    return `docker or the image ${image} is not available (runtime-images/build makes it)`;
  }
}

const SCRIPTS = {
  bash: {
    image: 'cronium/bash:latest',
    mount: `${CRONIUM_SH}:/usr/local/lib/cronium/cronium.sh:ro`,
    file: 'job.sh',
    command: ['bash', '/job/job.sh'],
    source: `set -euo pipefail
n=$(cronium_input | jq '.rows | length')
cronium_set_variable seen "$n"
cronium_set_condition true
cronium_output "{\\"runtime\\": \\"bash\\", \\"rows\\": $n, \\"greeting\\": \\"$(cronium_get_variable greeting)\\"}"
`,
  },
  python: {
    image: 'cronium/python:latest',
    mount: `${CRONIUM_PY}:/usr/local/lib/cronium/python/cronium.py:ro`,
    file: 'job.py',
    command: ['python3', '/usr/local/lib/cronium/python/cronium.py', '/job/job.py'],
    source: `data = cronium.input()
cronium.setVariable("seen", len(data["rows"]))
cronium.set_condition(True)
cronium.output({"runtime": "python", "rows": len(data["rows"]), "greeting": cronium.get_variable("greeting")})
`,
  },
  node: {
    image: 'cronium/node:latest',
    mount: `${CRONIUM_JS}:/usr/local/lib/node_modules/cronium/index.js:ro`,
    file: 'job.js',
    command: ['node', '--require', '/usr/local/lib/node_modules/cronium/index.js', '/job/job.js'],
    source: `const data = cronium.input();
cronium.setVariable('seen', data.rows.length);
cronium.setCondition(true);
require('cronium').getVariable('greeting').then((greeting) => {
  cronium.output({ runtime: 'node', rows: data.rows.length, greeting, node: process.versions.node.split('.')[0] });
});
`,
  },
};

describe('helpers: in the runtime images (Docker)', function () {
  this.timeout(60_000);
  let api: FakeApi;
  let scripts: ReturnType<typeof scriptDir>;

  before(async () => {
    scripts = scriptDir(); // in a hook: a --grep that skips this suite creates nothing
    chmodSync(scripts.dir, 0o755); // readable by uid 1000 in the container
    api = await startFakeApi({ input: { rows: [1, 2, 3] }, variables: { greeting: 'hello' } });
  });
  afterEach(() => api.reset());
  after(async () => {
    await api.close();
    scripts.remove();
  });

  for (const [runtime, job] of Object.entries(SCRIPTS)) {
    it(`${runtime}: a Cronium-style script talks to the runtime API from ${job.image}`, async function () {
      const reason = missingImage(job.image);
      if (reason) {
        if (process.env.CRONIUM_TEST_STRICT === '1') assert.fail(reason);
        console.log(`      skipped: ${reason}`);
        this.skip();
      }
      const file = scripts.write(job.file, job.source);
      chmodSync(file, 0o644);
      const env = Object.entries(api.env()).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      // Asynchronous: the fake API answers from this process while the container runs.
      const { stderr } = await execFileAsync('docker', [
        'run', '--rm', '--network', 'host', '--read-only', '--tmpfs', '/tmp', '--user', '1000:1000',
        '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--pids-limit', '100', '--memory', '512m',
        ...env, '-v', job.mount, '-v', `${scripts.dir}:/job:ro`, job.image, ...job.command,
      ]);
      assert.equal(stderr, '');
      const output = api.output as Record<string, unknown>;
      assert.deepEqual({ ...output, node: undefined }, { runtime, rows: 3, greeting: 'hello', node: undefined });
      if (runtime === 'node') assert.ok(Number(output.node) >= 18);
      assert.equal(api.variables.get('seen'), 3);
      assert.equal(api.condition, true);
    });
  }
});
