import assert from 'node:assert/strict';
import type { EventDto, SlotDto } from '../../daemon/protocol/events';
import { codeLensTitle, eventDescription, lateCount, relative } from '../../extension/events/eventFormat';

const NOW = Date.parse('2026-12-01T12:00:00Z');

function slot(over: Partial<SlotDto>): SlotDto {
  return { scheduledFor: '2026-12-01T11:58:00.000Z', firedAt: '2026-12-01T11:58:00.004Z', delayMs: 4, jobId: 'job_x', outcome: 'succeeded', reason: null, catchUp: false, ...over };
}

function event(over: Partial<EventDto>): EventDto {
  return {
    id: 'evt_aaaaaaaaaaaa',
    name: 'backup',
    description: '',
    tags: [],
    type: 'bash',
    script: null,
    file: '/w/backup.sh',
    http: null,
    target: 'auto',
    status: 'active',
    schedule: { kind: 'cron', expression: '5 14 * * *', timezone: 'Europe/Berlin' },
    scheduleText: 'cron 5 14 * * * (Europe/Berlin)',
    nextRuns: ['2026-12-01T13:05:00.000Z'],
    overlap: 'allow',
    catchUp: 'latest',
    catchUpWindowMs: 86_400_000,
    maxRuns: null,
    runCount: 3,
    retries: null,
    timeoutMs: null,
    envKeys: [],
    cwd: null,
    slots: [slot({})],
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    ...over,
  };
}

describe('how the editor words an event', () => {
  it('says when in words', () => {
    assert.equal(relative('2026-12-01T12:05:00Z', NOW), 'in 5m');
    assert.equal(relative('2026-12-01T11:58:00Z', NOW), '2m ago');
    assert.equal(relative('2026-12-01T12:00:09Z', NOW), 'in 9s');
    assert.equal(relative('2026-12-02T14:00:00Z', NOW), 'in 1d');
  });

  it('shows the schedule, the next run and the last result in the Events view', () => {
    assert.equal(eventDescription(event({}), NOW), 'cron 5 14 * * * (Europe/Berlin) · next in 1h · last ✓ 2m ago');
    assert.equal(eventDescription(event({ status: 'paused', nextRuns: [], slots: [] }), NOW), 'cron 5 14 * * * (Europe/Berlin)');
    assert.match(eventDescription(event({ slots: [slot({ outcome: 'failed' })] }), NOW), /last ✗ 2m ago$/);
  });

  it('puts the next run in the event’s own zone in the CodeLens, and counts late slots', () => {
    const late = event({ slots: [slot({}), slot({ outcome: 'skipped', firedAt: null, delayMs: null, reason: 'missed' }), slot({ catchUp: true })] });
    assert.equal(lateCount(late), 2);
    assert.equal(codeLensTitle(late, NOW), '▷ Run backup now · next 14:05 Europe/Berlin · last ✓ 2m ago · 2 late');
    assert.equal(codeLensTitle(event({ status: 'paused', nextRuns: [], slots: [] }), NOW), '▷ Run backup now · paused');
  });
});
