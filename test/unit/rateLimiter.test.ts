import assert from 'node:assert/strict';
import { RateLimiter } from '../../daemon/runtimeApi/rateLimiter';

describe('runtime API rate limiter', function () {
  it('allows a burst, then refuses and says how long to wait, then refills', function () {
    const limiter = new RateLimiter(60, 3); // one a second, three at once
    const t = 1_000_000;
    for (let i = 0; i < 3; i++) assert.deepEqual(limiter.take('exec_a', t), { ok: true });
    assert.deepEqual(limiter.take('exec_a', t), { ok: false, retryAfterSeconds: 1 });
    assert.deepEqual(limiter.take('exec_b', t), { ok: true }, 'another execution has its own bucket');
    assert.deepEqual(limiter.take('exec_a', t + 1000), { ok: true });
  });

  it("frees an execution's bucket when told it ended", function () {
    const limiter = new RateLimiter(60, 3);
    limiter.take('exec_a', 1_000_000);
    limiter.take('exec_b', 1_000_000);
    limiter.forget('exec_a');
    assert.equal(limiter.size, 1);
  });

  it('drops the buckets of executions that stopped calling, so it stays bounded without forget', function () {
    const limiter = new RateLimiter(1000, 200); // the daemon's figures: full again 12 s after a burst
    const t = 1_000_000;
    for (let i = 0; i < 10_000; i++) limiter.take(`exec_${i}`, t);
    assert.equal(limiter.size, 10_000);
    limiter.take('exec_new', t + 61_000);
    assert.equal(limiter.size, 1, 'only the execution that still calls holds a bucket');
  });

  it('keeps a bucket that is still refilling, so a busy execution cannot reset its limit by waiting for a sweep', function () {
    const limiter = new RateLimiter(1, 200); // 200 minutes to refill
    const t = 1_000_000;
    for (let i = 0; i < 200; i++) limiter.take('exec_busy', t);
    assert.equal(limiter.take('exec_other', t + 61_000).ok, true);
    assert.equal(limiter.size, 2);
    assert.equal(limiter.take('exec_busy', t + 61_000).ok, true, 'one token refilled in the minute');
    assert.equal(limiter.take('exec_busy', t + 61_000).ok, false);
  });
});
