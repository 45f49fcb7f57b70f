import { strict as assert } from 'node:assert';
import { LifecycleBus, type LifecycleEvent } from '../../daemon/queue/lifecycleBus';
import type { JobRecord } from '../../daemon/store/jobStore';

describe('the lifecycle bus', function () {
  const job = { id: 'job_aaaaaaaaaaaa' } as JobRecord;

  it('hands each event to its listeners in the order they registered, and not to others', function () {
    const bus = new LifecycleBus(() => assert.fail('no listener throws'));
    const heard: string[] = [];
    bus.on('job:queued', ({ job: j }) => heard.push(`first ${j.id}`));
    bus.on('job:queued', () => heard.push('second'));
    bus.on('job:finished', () => heard.push('finished'));
    bus.emit('job:queued', { job, executions: [] });
    assert.deepEqual(heard, ['first job_aaaaaaaaaaaa', 'second']);
  });

  it('keeps calling the other listeners when one throws, and reports which event it was', function () {
    const errors: LifecycleEvent[] = [];
    const bus = new LifecycleBus((event) => errors.push(event));
    let reached = false;
    bus.on('job:finished', () => {
      throw new Error('a broken listener');
    });
    bus.on('job:finished', () => (reached = true));
    bus.emit('job:finished', { job, executions: () => [] });
    assert.equal(reached, true);
    assert.deepEqual(errors, ['job:finished']);
  });

  it('stops calling a listener once it is removed', function () {
    const bus = new LifecycleBus(() => undefined);
    let calls = 0;
    const off = bus.on('job:queued', () => calls++);
    bus.emit('job:queued', { job, executions: [] });
    off();
    bus.emit('job:queued', { job, executions: [] });
    assert.equal(calls, 1);
  });
});
