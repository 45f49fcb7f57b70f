import assert from 'node:assert/strict';
import { dockerGet, dockerProblem, requireService } from '../helpers/services';
import { sshdProblem, TEST_USER, TestSshd } from '../helpers/sshd';

// The container and SSH executors are tested against these real services; this suite proves that the
// machine running the tests provides them (and fails under CRONIUM_TEST_STRICT=1 when it does not).
describe('real services for the test suites', function () {
  describe('Docker engine', function () {
    before(async function () {
      requireService(this, 'Docker', await dockerProblem());
    });

    it('answers the Engine API with its version', async function () {
      const { status, body } = await dockerGet('/version');
      assert.equal(status, 200);
      const version = JSON.parse(body) as { ApiVersion: string; Os: string };
      assert.equal(version.Os, 'linux');
      assert.match(version.ApiVersion, /^1\.\d+$/);
    });
  });

  describe('sshd on 127.0.0.1', function () {
    let sshd: TestSshd;

    before(async function () {
      requireService(this, 'sshd', sshdProblem());
      sshd = await TestSshd.start();
    });

    after(function () {
      sshd?.stop();
    });

    it('runs a command as the test user over a key login', function () {
      assert.equal(sshd.exec('id -un; echo "$SSH_CONNECTION" | cut -d" " -f3').trim(), `${TEST_USER}\n127.0.0.1`);
    });
  });
});
