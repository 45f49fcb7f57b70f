import assert from 'node:assert/strict';
import { formatMs } from '../../daemon/durations';
import { outcomeOf } from '../../daemon/queue/outcome';

describe('job outcome', function () {
  it('records exit code 0 as succeeded', function () {
    assert.deepEqual(outcomeOf({ exitCode: 0, signal: null }, undefined, null), {
      status: 'succeeded',
      lastError: null,
      error: null,
    });
  });

  it("lets the daemon's reason to stop win over the exit code", function () {
    assert.equal(outcomeOf({ exitCode: 0, signal: null }, 'cancel', null).status, 'cancelled');
    assert.equal(outcomeOf({ exitCode: null, signal: 'SIGTERM' }, 'timeout', 1500).lastError, 'Timed out after 1.5 s');
    assert.equal(outcomeOf({ exitCode: null, signal: 'SIGKILL' }, 'shutdown', null).error?.kind, 'daemon_shutdown');
  });

  it('explains a spawn failure', function () {
    const outcome = outcomeOf({ exitCode: null, signal: null, spawnError: new Error('no python3') }, undefined, null);
    assert.equal(outcome.status, 'failed');
    assert.deepEqual(outcome.error, { kind: 'spawn_failed', message: 'no python3' });
  });

  it('formats durations for messages', function () {
    assert.equal(formatMs(500), '500 ms');
    assert.equal(formatMs(90_000), '1.5 min');
  });
});
