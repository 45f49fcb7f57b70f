import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Dockerode from 'dockerode';
import type { ContainerExecutor } from '../../../daemon/executors/container/containerExecutor';
import { bashSpec, FakeRuntimeApi, makeExecutor, OutputRecorder, removeLabelled, runJob } from '../../helpers/dockerJobs';
import { dockerProblem, requireService } from '../../helpers/services';

interface InspectedJob {
  Config: { User: string; Labels: Record<string, string>; Env: string[] };
  HostConfig: {
    CapDrop: string[] | null;
    SecurityOpt: string[] | null;
    ReadonlyRootfs: boolean;
    Tmpfs: Record<string, string> | null;
    Memory: number;
    NanoCpus: number;
    PidsLimit: number | null;
    Binds: string[] | null;
    NetworkMode: string;
    Privileged: boolean;
  };
  Mounts: unknown[];
  NetworkSettings: { Networks: Record<string, unknown> };
}

describe('container executor: isolation of a job', function () {
  this.timeout(60_000);
  let executor: ContainerExecutor;
  let docker: Dockerode;
  let api: FakeRuntimeApi;
  let daemonId: string;

  before(async function () {
    requireService(this, 'Docker', await dockerProblem());
    ({ executor, docker, api, daemonId } = makeExecutor());
  });

  after(async function () {
    if (docker !== undefined) await removeLabelled(docker, `cronium.daemon=${daemonId}`);
  });

  it('runs the job locked down: uid 1000, no capabilities, read-only root, tmpfs, limits, internal network, labels', async function () {
    const spec = bashSpec('echo "ready $CRONIUM_JOB_ID $CRONIUM_RUNTIME_API"; exec sleep 60\n');
    const out = new OutputRecorder();
    const execution = executor.start(spec, out.hooks);
    // The environment reaches the job through its stdin, with the script.
    await out.output('stdout', `ready ${spec.jobId} http://runtime-api:8081`);
    const id = out.containerId as string;
    const job = (await docker.getContainer(id).inspect()) as unknown as InspectedJob;
    assert.equal(job.Config.User, '1000:1000');
    assert.deepEqual(job.HostConfig.CapDrop, ['ALL']);
    assert.deepEqual(job.HostConfig.SecurityOpt, ['no-new-privileges']);
    assert.equal(job.HostConfig.ReadonlyRootfs, true);
    assert.equal(job.HostConfig.Privileged, false);
    assert.match(job.HostConfig.Tmpfs?.['/tmp'] ?? '', /^rw,nosuid,nodev,size=64m$/);
    assert.equal(job.HostConfig.Memory, 536870912);
    assert.equal(job.HostConfig.NanoCpus, 500000000);
    assert.equal(job.HostConfig.PidsLimit, 100);
    assert.ok((job.HostConfig.Binds ?? []).length === 0, 'no binds');
    assert.ok(job.Mounts.every((m) => (m as { Type: string }).Type === 'tmpfs'), `only tmpfs mounts: ${JSON.stringify(job.Mounts)}`);
    assert.equal(job.Config.Labels['cronium.daemon'], daemonId);
    assert.equal(job.Config.Labels['cronium.job'], spec.jobId);
    assert.equal(job.Config.Labels['cronium.role'], 'job');
    assert.equal(job.Config.Labels['cronium.runtime'], 'bash');
    // ...so the job's token is not in what `docker inspect` shows to anyone who may use the engine.
    assert.ok(!job.Config.Env.some((e) => e.includes(spec.env.CRONIUM_EXECUTION_TOKEN)), `no token in ${job.Config.Env.join(' ')}`);

    const networkNames = Object.keys(job.NetworkSettings.Networks);
    assert.deepEqual(networkNames, [job.HostConfig.NetworkMode]);
    const network = await docker.getNetwork(job.HostConfig.NetworkMode).inspect();
    assert.equal(network.Internal, true);
    assert.equal(network.Labels?.['cronium.job'], spec.jobId);
    assert.equal(network.Labels?.['cronium.role'], 'network');

    const sidecars = await docker.listContainers({ filters: { label: [`cronium.job=${spec.jobId}`, 'cronium.role=sidecar'] } });
    assert.equal(sidecars.length, 1);
    const sidecar = (await docker.getContainer(sidecars[0].Id).inspect()) as unknown as InspectedJob;
    assert.equal(sidecar.Config.User, '1000:1000');
    assert.deepEqual(sidecar.HostConfig.CapDrop, ['ALL']);
    assert.equal(sidecar.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(Object.keys(sidecar.NetworkSettings.Networks), [job.HostConfig.NetworkMode]);

    execution.stop(0);
    await execution.done;
  });

  it('cannot write outside its tmpfs, nor reach the internet with the network off', async function () {
    const { result, out } = await runJob(
      executor,
      bashSpec(
        'touch /x 2>/dev/null; echo "root=$?"; touch /tmp/x && echo tmp=ok; touch ~/x && echo home=ok\n' +
          'curl -sS -m 3 -o /dev/null http://deb.debian.org 2>/dev/null; echo "curl=$?"\n',
      ),
    );
    assert.equal(result.exitCode, 0, out.text('stderr'));
    const lines = out.text('stdout').trim().split('\n');
    assert.equal(lines[0], 'root=1');
    assert.deepEqual(lines.slice(1, 3), ['tmp=ok', 'home=ok']);
    // 6: could not resolve host (no DNS upstream on an internal network); 7 or 28 would mean no route.
    assert.match(lines[3], /^curl=(6|7|28)$/);
  });

  it('cannot reach services of the host through its network', async function () {
    // A service on all the host's addresses, as a developer's database or dev server often is.
    const server = createServer((_, res) => res.end('host service'));
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const port = (server.address() as AddressInfo).port;
    const spec = bashSpec('curl -sS -m 2 -o /dev/null -w "%{http_code}" "$(curl -s $CRONIUM_RUNTIME_API/probe-target)"; echo " curl=$?"\n');
    const plain = api.answer;
    // The job asks the API where to knock: its network's gateway, the host's side of the bridge.
    api.answer = async (request) => {
      if (request.path !== '/probe-target') return plain(request);
      const [network] = await docker.listNetworks({ filters: { label: [`cronium.job=${spec.jobId}`] } });
      const config = (await docker.getNetwork(network.Id).inspect()).IPAM?.Config?.[0] as { Gateway?: string } | undefined;
      return { status: 200, headers: {}, body: `http://${config?.Gateway ?? '127.0.0.1'}:${port}/` };
    };
    try {
      const { result, out } = await runJob(executor, spec);
      assert.equal(result.exitCode, 0, out.text('stderr'));
      assert.match(out.text('stdout'), /^000 curl=(7|28)\n$/);
      assert.ok(api.requests.some((r) => r.path === '/probe-target'));
    } finally {
      api.answer = plain;
      server.close();
    }
  });

  it('puts a job that may use the network on a network that is not internal', async function () {
    const spec = bashSpec('echo ready; exec sleep 60\n', {
      options: { memoryBytes: 256 * 1024 * 1024, nanoCpus: 1_000_000_000, pidsLimit: 50, network: true },
    });
    const out = new OutputRecorder();
    const execution = executor.start(spec, out.hooks);
    await out.output('stdout', 'ready');
    const job = (await docker.getContainer(out.containerId as string).inspect()) as unknown as InspectedJob;
    assert.equal(job.HostConfig.Memory, 256 * 1024 * 1024);
    assert.equal(job.HostConfig.NanoCpus, 1_000_000_000);
    assert.equal(job.HostConfig.PidsLimit, 50);
    const network = await docker.getNetwork(job.HostConfig.NetworkMode).inspect();
    assert.equal(network.Internal, false);
    execution.stop(0);
    await execution.done;
  });

  it('reaches the runtime API through the sidecar, with its token', async function () {
    const spec = bashSpec(
      'curl -s -H "Authorization: Bearer $CRONIUM_EXECUTION_TOKEN" $CRONIUM_RUNTIME_API/executions/$CRONIUM_EXECUTION_ID/context\n',
    );
    const { result, out } = await runJob(executor, spec);
    assert.equal(result.exitCode, 0, out.text('stderr'));
    const executionId = spec.env.CRONIUM_EXECUTION_ID;
    assert.deepEqual(JSON.parse(out.text('stdout')), { fake: true, method: 'GET', path: `/executions/${executionId}/context` });
    const seen = api.requests.find((r) => r.path === `/executions/${executionId}/context`);
    assert.ok(seen, 'the handler saw the request');
    assert.equal(seen.headers.authorization, `Bearer ${spec.env.CRONIUM_EXECUTION_TOKEN}`);
    assert.equal(seen.method, 'GET');
  });

  it('relays request bodies, refuses bodies over 1 MiB and answers its own health check', async function () {
    const { result, out } = await runJob(
      executor,
      bashSpec(
        'curl -s -X POST -H "content-type: application/json" --data \'{"value":42}\' $CRONIUM_RUNTIME_API/executions/e/output; echo\n' +
          'head -c 1100000 /dev/zero | curl -s -o /dev/null -w "big=%{http_code}\\n" --data-binary @- $CRONIUM_RUNTIME_API/executions/e/output\n' +
          'curl -s -o /dev/null -w "health=%{http_code}\\n" $CRONIUM_RUNTIME_API/relay-health\n',
      ),
    );
    assert.equal(result.exitCode, 0, out.text('stderr'));
    const lines = out.text('stdout').trim().split('\n');
    assert.deepEqual(JSON.parse(lines[0]), { fake: true, method: 'POST', path: '/executions/e/output' });
    assert.deepEqual(lines.slice(1), ['big=413', 'health=200']);
    const posted = api.requests.filter((r) => r.path === '/executions/e/output');
    assert.equal(posted.length, 1, 'the oversized body never reached the handler');
    assert.deepEqual(JSON.parse(posted[0].body.toString('utf8')), { value: 42 });
  });
});
