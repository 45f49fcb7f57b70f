import assert from 'node:assert/strict';
import { listJobsSchema, runJobSchema } from '../../daemon/rpc/schemas';

describe('RPC param schemas', function () {
  it('accepts a minimal run request', function () {
    assert.deepEqual(runJobSchema.parse({ content: 'echo hi' }), { content: 'echo hi' });
  });

  it('names every bad field', function () {
    const result = runJobSchema.safeParse({ content: 1, cwd: 'relative', env: { 'BAD-NAME': 'x' }, extra: true });
    assert.equal(result.success, false);
    const paths = result.error?.issues.map((i) => i.path.join('.')).sort();
    assert.deepEqual(paths, ['', 'content', 'cwd', 'env.BAD-NAME']);
  });

  it('treats missing list params as no filter', function () {
    assert.deepEqual(listJobsSchema.parse(undefined), {});
    assert.equal(listJobsSchema.safeParse({ limit: 0 }).success, false);
  });
});
