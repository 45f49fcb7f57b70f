import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { verifyWebhook, webhookSignature } from '../../daemon/workflows/webhooks';

describe('workflow webhook signatures', function () {
  const secret = 's3cret-key';
  const body = Buffer.from('{"a":1}');
  const now = 1_800_000_000_000;
  const ts = String(now / 1000);

  it('is sha256= and the hex HMAC-SHA256 of TIMESTAMP.BODY', function () {
    const expected = createHmac('sha256', secret).update(`${ts}.{"a":1}`).digest('hex');
    assert.equal(webhookSignature(secret, ts, body), `sha256=${expected}`);
  });

  it('accepts a good signature within 5 minutes and refuses the rest with a reason', function () {
    const good = webhookSignature(secret, ts, body);
    assert.deepEqual(verifyWebhook({ secret, body, signature: good, timestamp: ts, now: now + 299_000 }), { ok: true });
    const reason = (r: ReturnType<typeof verifyWebhook>) => (r.ok ? 'ok' : r.reason);
    assert.equal(reason(verifyWebhook({ secret, body, signature: good, timestamp: ts, now: now + 301_000 })), 'stale timestamp (more than 5 minutes off)');
    assert.equal(reason(verifyWebhook({ secret, body, signature: good, timestamp: ts, now: now - 301_000 })), 'stale timestamp (more than 5 minutes off)');
    assert.equal(reason(verifyWebhook({ secret: 'other', body, signature: good, timestamp: ts, now })), 'bad signature');
    assert.equal(reason(verifyWebhook({ secret, body: Buffer.from('{"a":2}'), signature: good, timestamp: ts, now })), 'bad signature');
    assert.equal(reason(verifyWebhook({ secret, body, signature: 'sha256=00', timestamp: ts, now })), 'bad signature');
    assert.equal(reason(verifyWebhook({ secret, body, signature: undefined, timestamp: ts, now })), 'missing x-cronium-signature');
    assert.match(reason(verifyWebhook({ secret, body, signature: good, timestamp: undefined, now })), /missing or malformed x-cronium-timestamp/);
    assert.match(reason(verifyWebhook({ secret, body, signature: good, timestamp: '12abc', now })), /malformed/);
  });
});
