import assert from 'node:assert/strict';
import { ContainerError } from '../../../daemon/executors/container/containerErrors';
import { describeDocker, dockerEndpoint, dockerFromEnv } from '../../../daemon/executors/container/dockerHost';
import { SshDialAgent } from '../../../daemon/executors/container/sshDial';

describe('container executor: Docker host setting', function () {
  it('reads socket paths, unix://, tcp:// and ssh:// addresses', function () {
    const env = { SSH_AUTH_SOCK: '/run/agent.sock' };
    assert.deepEqual(dockerEndpoint(undefined, {}), { options: { socketPath: '/var/run/docker.sock' }, where: '/var/run/docker.sock' });
    assert.deepEqual(dockerEndpoint('/run/user/1000/docker.sock', env).options, { socketPath: '/run/user/1000/docker.sock' });
    assert.deepEqual(dockerEndpoint(undefined, { DOCKER_HOST: 'unix:///tmp/d.sock' }).options, { socketPath: '/tmp/d.sock' });
    assert.deepEqual(dockerEndpoint('tcp://10.0.0.5:2375', env), {
      options: { protocol: 'http', host: '10.0.0.5', port: '2375' },
      where: 'tcp://10.0.0.5:2375',
    });
    const ssh = dockerEndpoint('ssh://deploy@build.example:2222', env);
    assert.equal(ssh.where, 'ssh://deploy@build.example:2222');
    assert.ok((ssh.options as { agent?: unknown }).agent instanceof SshDialAgent, 'through the user\'s ssh, as the docker CLI');
    assert.equal(dockerEndpoint('ssh://build.example', env).where, 'ssh://build.example');
  });

  it('names the place in messages, and refuses what it cannot read', function () {
    assert.equal(describeDocker(dockerFromEnv('/nonexistent/docker.sock')), '/nonexistent/docker.sock');
    assert.equal(describeDocker(dockerFromEnv('tcp://10.0.0.5:2375')), 'tcp://10.0.0.5:2375');
    assert.equal(describeDocker(dockerFromEnv('ssh://deploy@build.example:2222')), 'ssh://deploy@build.example:2222');
    assert.throws(() => dockerEndpoint('ftp://x'), (e: unknown) => ContainerError.is(e, 'docker_unreachable'));
  });
});
