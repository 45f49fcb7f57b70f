import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { GetVariableRequest } from '../../../daemon/protocol/variables';
import { runToEnd, startSuiteDaemon, stopSuiteDaemon, type SuiteDaemon } from '../../helpers/daemonProcess';
import { requireService } from '../../helpers/services';
import { sshdProblem, TestSshd } from '../../helpers/sshd';
import { addTrusted } from '../../helpers/sshTargets';

const SCRIPTS = {
  bash: [
    'name=$(cronium_input | jq -r .name)',
    'cronium_set_variable "ssh_bash" "hello $name"',
    'echo "var=$(cronium_get_variable ssh_bash)"',
    'echo "job=$(cronium_event_field jobId) on $(cronium_event_field target)"',
    'cronium_output "{\\"lang\\":\\"bash\\",\\"name\\":\\"$name\\"}"',
    'cronium_set_condition true',
    'echo "api=$CRONIUM_RUNTIME_API"',
  ].join('\n'),
  python: [
    'name = cronium.input()["name"]',
    'cronium.set_variable("ssh_python", "hello " + name)',
    'print("var=" + cronium.get_variable("ssh_python"))',
    'print("job=" + cronium.event()["jobId"] + " on " + cronium.event()["target"])',
    'cronium.output({"lang": "python", "name": name})',
    'cronium.setCondition(True)',
  ].join('\n'),
  node: [
    'const { name } = cronium.input();',
    'cronium.setVariable("ssh_node", "hello " + name);',
    'console.log("var=" + cronium.getVariable("ssh_node"));',
    'console.log("job=" + cronium.event().jobId + " on " + cronium.event().target);',
    'cronium.output({ lang: "node", name });',
    'cronium.setCondition(true);',
  ].join('\n'),
} as const;

describe('SSH jobs: runtime helpers over the reverse tunnel', function () {
  this.timeout(60_000);
  let suite: SuiteDaemon;
  let sshd: TestSshd;

  before(async function () {
    requireService(this, 'sshd', sshdProblem());
    sshd = await TestSshd.start();
    suite = await startSuiteDaemon();
    await addTrusted(suite.client, 'box', sshd);
  });
  after(async () => {
    await stopSuiteDaemon(suite ?? {});
    sshd?.stop();
  });

  for (const runtime of ['bash', 'python', 'node'] as const) {
    it(`${runtime}: input, variables, event, output and setCondition work on the server`, async () => {
      const { job, stdout, stderr } = await runToEnd(suite.client, {
        content: SCRIPTS[runtime],
        runtime,
        input: { name: 'remote' },
        servers: ['box'],
        target: 'ssh',
      });
      assert.equal(job.status, 'succeeded', `${job.lastError ?? ''} ${stderr}`);
      assert.match(stdout, /^var=hello remote$/m);
      assert.ok(stdout.includes(`job=${job.id} on ssh\n`), stdout);
      assert.deepEqual(job.output, { lang: runtime, name: 'remote' });
      assert.equal(job.condition, true);
      const variable = await suite.client.connection.sendRequest(GetVariableRequest, { key: `ssh_${runtime}` });
      assert.equal(variable.value, 'hello remote');
      if (runtime === 'bash') assert.match(stdout, /^api=http:\/\/127\.0\.0\.1:\d+$/m, 'a port on the server, not a fixed one');
    });
  }

  it('runs two jobs on one server at once, each reaching the runtime API through its tunnel', async () => {
    const dir = `/tmp/cronium-pair-${process.pid}`;
    rmSync(dir, { recursive: true, force: true });
    // Each job waits for the other's file: they finish only if they run at the same time.
    const pair = (me: string, other: string) =>
      [
        `mkdir -p ${dir} && touch ${dir}/${me}`,
        `i=0; while [ ! -e ${dir}/${other} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`,
        `[ -e ${dir}/${other} ] || { echo "${other} never ran alongside" >&2; exit 1; }`,
        `cronium_set_variable pair_${me} "$CRONIUM_EXECUTION_ID"`,
        'cronium_set_condition true',
      ].join('\n');
    const [a, b] = await Promise.all([
      runToEnd(suite.client, { content: pair('a', 'b'), runtime: 'bash', servers: ['box'], target: 'ssh' }),
      runToEnd(suite.client, { content: pair('b', 'a'), runtime: 'bash', servers: ['box'], target: 'ssh' }),
    ]);
    rmSync(dir, { recursive: true, force: true });
    for (const [name, run] of [['a', a], ['b', b]] as const) {
      assert.equal(run.job.status, 'succeeded', `${name}: ${run.job.lastError ?? ''} ${run.stderr}`);
      assert.equal(run.job.condition, true);
      const variable = await suite.client.connection.sendRequest(GetVariableRequest, { key: `pair_${name}` });
      assert.equal(variable.value, run.job.executions[0].id);
    }
  });
});
