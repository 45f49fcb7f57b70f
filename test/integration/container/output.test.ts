import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import type { ContainerExecutor } from '../../../daemon/executors/container/containerExecutor';
import { bashSpec, makeExecutor, removeLabelled, runJob } from '../../helpers/dockerJobs';
import { dockerProblem, requireService } from '../../helpers/services';

describe('container executor: output and exit codes', function () {
  this.timeout(60_000);
  let executor: ContainerExecutor;
  let docker: Dockerode;
  let daemonId: string;

  before(async function () {
    requireService(this, 'Docker', await dockerProblem());
    ({ executor, docker, daemonId } = makeExecutor());
  });

  after(async function () {
    if (docker !== undefined) await removeLabelled(docker, `cronium.daemon=${daemonId}`);
  });

  it('keeps stdout and stderr apart, each in order', async function () {
    const { result, out } = await runJob(
      executor,
      bashSpec('for i in $(seq 1 300); do echo "out $i"; echo "err $i" >&2; done\n'),
    );
    assert.equal(result.exitCode, 0);
    const numbers = Array.from({ length: 300 }, (_, i) => i + 1);
    assert.equal(out.text('stdout'), numbers.map((i) => `out ${i}\n`).join(''));
    assert.equal(out.text('stderr'), numbers.map((i) => `err ${i}\n`).join(''));
  });

  it('reports the exit code of the script', async function () {
    const [failed, succeeded] = await Promise.all([
      runJob(executor, bashSpec('echo bye; exit 7\n')),
      runJob(executor, bashSpec('true\n')),
    ]);
    assert.deepEqual(failed.result, { exitCode: 7, signal: null });
    assert.equal(failed.out.text('stdout'), 'bye\n');
    assert.deepEqual(succeeded.result, { exitCode: 0, signal: null });
  });

  it('delivers 3 MiB of output completely', async function () {
    const line = 'abcdefghijklmno\n';
    const { result, out } = await runJob(executor, bashSpec(`yes abcdefghijklmno | head -c ${3 * 1024 * 1024}\n`));
    assert.equal(result.exitCode, 0, out.text('stderr'));
    const stdout = out.bytes('stdout');
    assert.equal(stdout.length, 3 * 1024 * 1024);
    assert.ok(stdout.equals(Buffer.from(line.repeat((3 * 1024 * 1024) / line.length))), 'every byte in order');
  });

  it('hands the script over as a file, with stdin at end of file and the job environment', async function () {
    const script = '# a comment that only the file has\necho "$0"; grep -c "^# a comment" "$0"; cat; echo "stdin=$?"; echo "$CRONIUM_EXECUTION_TOKEN"\n';
    const spec = bashSpec(script);
    const { result, out } = await runJob(executor, spec);
    assert.equal(result.exitCode, 0, out.text('stderr'));
    assert.equal(out.text('stdout'), `/tmp/job.sh\n1\nstdin=0\n${spec.env.CRONIUM_EXECUTION_TOKEN}\n`);
  });

  it('runs Python with the global cronium helper and Node with it preloaded', async function () {
    const [python, node] = await Promise.all([
      runJob(
        executor,
        bashSpec('import sys, os\nprint("py", os.getuid(), type(cronium).__name__, repr(sys.stdin.read()))\n', {
          runtime: 'python',
        }),
      ),
      runJob(
        executor,
        bashSpec('console.log("node", process.getuid(), typeof cronium.input, require("fs").readFileSync(0, "utf8").length)\n', {
          runtime: 'node',
        }),
      ),
    ]);
    assert.equal(python.result.exitCode, 0, python.out.text('stderr'));
    assert.equal(python.out.text('stdout'), "py 1000 module ''\n");
    assert.equal(node.result.exitCode, 0, node.out.text('stderr'));
    assert.equal(node.out.text('stdout'), 'node 1000 function 0\n');
  });

  it('keeps an ES module a module (.mjs)', async function () {
    const { result, out } = await runJob(
      executor,
      bashSpec('const x = await Promise.resolve(42);\nconsole.log(x, typeof cronium);\n', { runtime: 'node', scriptName: 'a.mjs' }),
    );
    assert.equal(result.exitCode, 0, out.text('stderr'));
    assert.equal(out.text('stdout'), '42 object\n');
  });
});
