import { strict as assert } from 'node:assert';
import type { JobStatus } from '../../daemon/protocol/dto';
import { deriveJobStatus } from '../../daemon/store/jobStatus';

const run = (status: JobStatus, serverId: string | null = null, attempt = 1) => ({ status, serverId, attempt });

describe("a job's status from its executions", function () {
  it('is the status of its one execution', function () {
    for (const status of ['queued', 'claimed', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const) {
      assert.equal(deriveJobStatus([run(status)]), status);
    }
  });

  it('follows the latest attempt: a failure that was retried no longer counts', function () {
    assert.equal(deriveJobStatus([run('failed', null, 1), run('succeeded', null, 2)]), 'succeeded');
    assert.equal(deriveJobStatus([run('failed', null, 1), run('queued', null, 2)]), 'queued');
    assert.equal(deriveJobStatus([run('failed', null, 1), run('failed', null, 2)]), 'failed');
  });

  it('is partial when some servers of a multi-server run failed and some succeeded', function () {
    assert.equal(deriveJobStatus([run('succeeded', 'a'), run('failed', 'b'), run('succeeded', 'c')]), 'partial');
    assert.equal(deriveJobStatus([run('succeeded', 'a'), run('timed_out', 'b')]), 'partial');
  });

  it('stays active while any server still runs or waits', function () {
    assert.equal(deriveJobStatus([run('succeeded', 'a'), run('running', 'b')]), 'running');
    assert.equal(deriveJobStatus([run('failed', 'a'), run('queued', 'b')]), 'running');
    assert.equal(deriveJobStatus([run('queued', 'a'), run('queued', 'b')]), 'queued');
  });

  it('takes the worst outcome when every server failed, each its own way', function () {
    assert.equal(deriveJobStatus([run('cancelled', 'a'), run('failed', 'b')]), 'failed');
    assert.equal(deriveJobStatus([run('cancelled', 'a'), run('timed_out', 'b')]), 'timed_out');
  });
});
