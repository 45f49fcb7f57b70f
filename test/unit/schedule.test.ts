import { strict as assert } from 'node:assert';
import type { Schedule, ScheduleInput } from '../../daemon/scheduler/schedule';
import {
  describeSchedule,
  nextSlots,
  parseDuration,
  parseSchedule,
  ScheduleError,
  slotsBetween,
  touchesDst,
} from '../../daemon/scheduler/schedule';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const ms = (iso: string) => Date.parse(iso);
const isos = (slots: number[]) => slots.map((slot) => new Date(slot).toISOString());
const cron = (expression: string, timezone: string) => parseSchedule({ cron: expression, timezone }, NOW);

/** The slots as a user in the zone reads the clock: '02:30 GMT+2'. */
const wallClock = (timeZone: string, slots: number[]) =>
  slots.map((slot) =>
    new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', timeZoneName: 'shortOffset' }).format(slot),
  );

const refused = (input: ScheduleInput, field: ScheduleError['field'], message: string | RegExp) =>
  assert.throws(
    () => parseSchedule(input, NOW),
    (e: unknown) => {
      assert.ok(e instanceof ScheduleError, `expected a ScheduleError, got ${String(e)}`);
      assert.equal(e.field, field);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );

describe('event schedules: cron across daylight saving time', function () {
  // Europe/Berlin 2026: 02:00 → 03:00 on Sunday 29 March (+01:00 → +02:00), 03:00 → 02:00 on Sunday 25 October.
  it('runs a 02:30 job at 03:00 on the spring-forward day, and at 02:30 on the days around it', function () {
    const slots = nextSlots(cron('30 2 * * *', 'Europe/Berlin'), ms('2026-03-27T12:00:00Z'), 3);
    assert.deepEqual(isos(slots), ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    assert.deepEqual(wallClock('Europe/Berlin', slots), ['02:30 GMT+1', '03:00 GMT+2', '02:30 GMT+2']);
  });

  it('runs a 02:30 job once on the fall-back day, at the first 02:30', function () {
    const schedule = cron('30 2 * * *', 'Europe/Berlin');
    // 25 October in Berlin: from 00:00 (+02:00) to the next midnight (+01:00).
    const thatDay = slotsBetween(schedule, ms('2026-10-24T22:00:00Z'), ms('2026-10-25T23:00:00Z'), 10);
    assert.deepEqual(isos(thatDay), ['2026-10-25T00:30:00.000Z']);
    const around = nextSlots(schedule, ms('2026-10-23T12:00:00Z'), 3);
    assert.deepEqual(isos(around), ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('runs an every-30-minutes job on both occurrences of the repeated hour', function () {
    const slots = slotsBetween(cron('*/30 * * * *', 'Europe/Berlin'), ms('2026-10-24T23:45:00Z'), ms('2026-10-25T01:45:00Z'), 10);
    assert.deepEqual(isos(slots), [
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T01:30:00.000Z',
    ]);
    assert.deepEqual(wallClock('Europe/Berlin', slots), ['02:00 GMT+2', '02:30 GMT+2', '02:00 GMT+1', '02:30 GMT+1']);
  });

  it('skips the missing hour for an every-30-minutes job, keeping 30 real minutes between runs', function () {
    const slots = slotsBetween(cron('*/30 * * * *', 'Europe/Berlin'), ms('2026-03-29T00:15:00Z'), ms('2026-03-29T01:15:00Z'), 10);
    assert.deepEqual(isos(slots), ['2026-03-29T00:30:00.000Z', '2026-03-29T01:00:00.000Z']);
    assert.deepEqual(wallClock('Europe/Berlin', slots), ['01:30 GMT+1', '03:00 GMT+2']);
  });

  it('treats a list of fixed times like one fixed time: 02:30 and 14:30 run once each on both DST days', function () {
    const schedule = cron('30 2,14 * * *', 'Europe/Berlin');
    assert.deepEqual(isos(nextSlots(schedule, ms('2026-03-28T12:00:00Z'), 3)), [
      '2026-03-28T13:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T12:30:00.000Z',
    ]);
    assert.deepEqual(isos(nextSlots(schedule, ms('2026-10-24T12:00:00Z'), 4)), [
      '2026-10-24T12:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T13:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  // America/New_York 2026: 02:00 → 03:00 on Sunday 8 March (-05:00 → -04:00), 02:00 → 01:00 on Sunday 1 November.
  it('follows the same rules in New York: 02:30 runs at 03:00 on 8 March', function () {
    const slots = nextSlots(cron('30 2 * * *', 'America/New_York'), ms('2026-03-06T12:00:00Z'), 3);
    assert.deepEqual(isos(slots), ['2026-03-07T07:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']);
  });

  it('follows the same rules in New York: 01:30 runs once on 1 November, at the first 01:30', function () {
    const schedule = cron('30 1 * * *', 'America/New_York');
    const thatDay = slotsBetween(schedule, ms('2026-11-01T04:00:00Z'), ms('2026-11-02T05:00:00Z'), 10);
    assert.deepEqual(isos(thatDay), ['2026-11-01T05:30:00.000Z']);
    const around = nextSlots(schedule, ms('2026-10-30T12:00:00Z'), 3);
    assert.deepEqual(isos(around), ['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
    const halfHours = slotsBetween(cron('*/30 * * * *', 'America/New_York'), ms('2026-11-01T04:45:00Z'), ms('2026-11-01T06:45:00Z'), 10);
    assert.deepEqual(wallClock('America/New_York', halfHours), ['01:00 GMT-4', '01:30 GMT-4', '01:00 GMT-5', '01:30 GMT-5']);
  });
});

describe('event schedules: cron', function () {
  it('reads six fields as seconds first: */10 runs every 10 seconds', function () {
    const slots = nextSlots(cron('*/10 * * * * *', 'UTC'), ms('2026-01-01T00:00:05Z'), 3);
    assert.deepEqual(isos(slots), ['2026-01-01T00:00:10.000Z', '2026-01-01T00:00:20.000Z', '2026-01-01T00:00:30.000Z']);
  });

  it('does not count a run at the very moment it is asked from', function () {
    const slots = nextSlots(cron('0 9 * * *', 'UTC'), ms('2026-01-05T09:00:00Z'), 1);
    assert.deepEqual(isos(slots), ['2026-01-06T09:00:00.000Z']);
  });

  it('catches up at most `limit` missed runs, oldest first', function () {
    const slots = slotsBetween(cron('0 * * * *', 'UTC'), ms('2026-01-01T00:00:00Z'), ms('2026-01-02T00:00:00Z'), 3);
    assert.deepEqual(isos(slots), ['2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z', '2026-01-01T03:00:00.000Z']);
  });

  it('normalizes spacing and the zone name, and defaults to the daemon’s zone', function () {
    assert.deepEqual(parseSchedule({ cron: ' 0  9 * * 1-5 ', timezone: 'europe/berlin' }, NOW), {
      kind: 'cron',
      expression: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
    });
    assert.deepEqual(parseSchedule({ cron: '0 9 * * *' }, NOW), {
      kind: 'cron',
      expression: '0 9 * * *',
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    });
  });
});

describe('event schedules: the next run, asked again and again', function () {
  // The scheduler plans each event's next slot alone; the answer for one schedule is remembered.
  const times = (from: string, to: string, n: number) => {
    const [a, b] = [ms(from), ms(to)];
    // A fixed pseudo-random walk, back and forth: remembered answers are hit, missed and replaced.
    return Array.from({ length: n }, (_, i) => a + Math.floor((((i * 7919) % n) / n) * (b - a)) + (i % 3) * 1000);
  };

  for (const [expression, zone] of [
    ['30 2 * * *', 'Europe/Berlin'],
    ['*/30 * * * *', 'Europe/Berlin'],
    ['0 9 * * 1-5', 'America/New_York'],
    ['15 */4 * * *', 'UTC'],
    ['0 0 29 2 *', 'Etc/UTC'],
  ]) {
    it(`gives the same next run as the full list for '${expression}' in ${zone}`, function () {
      const schedule = cron(expression, zone);
      for (const t of times('2026-03-01T00:00:00Z', '2026-11-30T00:00:00Z', 400)) {
        assert.deepEqual(nextSlots(schedule, t, 1), nextSlots(schedule, t, 2).slice(0, 1), `after ${new Date(t).toISOString()}`);
      }
    });
  }

  it('reads UTC without the zone database and agrees with a zone that is UTC in winter', function () {
    const utc = cron('0 12 * * *', 'UTC');
    const london = cron('0 12 * * *', 'Europe/London');
    const january = ms('2026-01-10T00:00:00Z');
    assert.deepEqual(isos(nextSlots(utc, january, 3)), isos(nextSlots(london, january, 3)));
    assert.deepEqual(isos(nextSlots(utc, ms('2026-07-10T00:00:00Z'), 1)), ['2026-07-10T12:00:00.000Z']);
    assert.deepEqual(isos(nextSlots(london, ms('2026-07-10T00:00:00Z'), 1)), ['2026-07-10T11:00:00.000Z']);
  });
});

describe('event schedules: every', function () {
  const anchorMs = ms('2026-01-01T10:03:17Z');
  const every7m = parseSchedule({ every: '7m' }, anchorMs);

  it('counts 7 minutes from when the event was made, not from the top of the hour', function () {
    assert.deepEqual(every7m, { kind: 'every', everyMs: 420_000, anchorMs });
    assert.deepEqual(isos(nextSlots(every7m, anchorMs, 3)), [
      '2026-01-01T10:10:17.000Z',
      '2026-01-01T10:17:17.000Z',
      '2026-01-01T10:24:17.000Z',
    ]);
    assert.deepEqual(isos(nextSlots(every7m, ms('2026-01-01T10:12:00Z'), 1)), ['2026-01-01T10:17:17.000Z']);
    assert.deepEqual(isos(nextSlots(every7m, ms('2026-01-01T09:00:00Z'), 1)), ['2026-01-01T10:10:17.000Z']);
  });

  it('lists the slots after `from` up to and including `to`, at most `limit` of them', function () {
    const from = ms('2026-01-01T10:10:17Z');
    const to = ms('2026-01-01T10:31:17Z');
    assert.deepEqual(isos(slotsBetween(every7m, from, to, 10)), [
      '2026-01-01T10:17:17.000Z',
      '2026-01-01T10:24:17.000Z',
      '2026-01-01T10:31:17.000Z',
    ]);
    assert.deepEqual(isos(slotsBetween(every7m, from, to, 2)), ['2026-01-01T10:17:17.000Z', '2026-01-01T10:24:17.000Z']);
    assert.deepEqual(slotsBetween(every7m, from, to, 0), []);
  });
});

describe('event schedules: at and manual', function () {
  it('runs a future at time once', function () {
    const at = parseSchedule({ at: '2026-12-24T18:00:00Z' }, NOW);
    assert.deepEqual(isos(nextSlots(at, NOW, 5)), ['2026-12-24T18:00:00.000Z']);
    assert.deepEqual(nextSlots(at, ms('2026-12-24T18:00:00Z'), 5), []);
  });

  it('reads an at time without an offset in the given zone', function () {
    const inBerlin = parseSchedule({ at: '2026-12-24T18:00', timezone: 'Europe/Berlin' }, NOW);
    assert.deepEqual(inBerlin, { kind: 'at', atMs: ms('2026-12-24T17:00:00Z') });
    const inNewYork = parseSchedule({ at: '2026-07-01T09:00:00', timezone: 'America/New_York' }, NOW);
    assert.deepEqual(inNewYork, { kind: 'at', atMs: ms('2026-07-01T13:00:00Z') });
    assert.deepEqual(parseSchedule({ at: '2026-12-24T18:00+05:30' }, NOW), { kind: 'at', atMs: ms('2026-12-24T12:30:00Z') });
  });

  it('moves an at time in a spring-forward gap on by the gap, and takes the first of a repeated time', function () {
    const inGap = parseSchedule({ at: '2026-03-29T02:30', timezone: 'Europe/Berlin' }, NOW);
    assert.deepEqual(inGap, { kind: 'at', atMs: ms('2026-03-29T01:30:00Z') }); // 03:30 +02:00
    const repeated = parseSchedule({ at: '2026-10-25T02:30', timezone: 'Europe/Berlin' }, NOW);
    assert.deepEqual(repeated, { kind: 'at', atMs: ms('2026-10-25T00:30:00Z') }); // the first 02:30, +02:00
  });

  it('refuses an at time in the past', function () {
    refused({ at: '2020-01-01T00:00:00Z' }, 'at', 'at: 2020-01-01T00:00:00Z is in the past');
    refused({ at: 'tomorrow' }, 'at', /^at: 'tomorrow' is not an ISO 8601 date-time/);
  });

  it('is manual when no schedule is given, and a manual event has no slots', function () {
    const manual = parseSchedule({}, NOW);
    assert.deepEqual(manual, { kind: 'manual' });
    assert.deepEqual(nextSlots(manual, NOW, 5), []);
    assert.deepEqual(slotsBetween(manual, NOW, NOW + 86_400_000, 5), []);
  });
});

describe('event schedules: what a user is told when a schedule is wrong', function () {
  it('names the cron field and gives croner’s reason', function () {
    refused({ cron: '61 * * * *' }, 'cron', "cron: '61 * * * *' is not a valid cron expression (invalid value for minute: 61)");
    refused({ cron: 'not a cron' }, 'cron', "cron: 'not a cron' is not a valid cron expression (it has 3 fields: use 5, or 6 with seconds first)");
    refused({ cron: '0 0 0 1 1 * 2027' }, 'cron', /\(it has 7 fields, and years are not supported/);
    refused({ cron: '0 0 30 2 *' }, 'cron', "cron: '0 0 30 2 *' never runs (no such date)");
  });

  it('names the timezone field for a zone that does not exist, or one given with every', function () {
    refused({ cron: '0 9 * * *', timezone: 'Mars/Olympus' }, 'timezone', /^timezone: 'Mars\/Olympus' is not a known IANA time zone/);
    refused({ every: '7m', timezone: 'UTC' }, 'timezone', "timezone: 'UTC' applies only to a cron or an at schedule");
  });

  it('names the every field for a zero, negative, too short or unreadable interval', function () {
    refused({ every: '0s' }, 'every', /^every: '0s' is not a positive duration/);
    refused({ every: '-5m' }, 'every', /^every: '-5m' is not a positive duration/);
    refused({ every: '500ms' }, 'every', "every: '500ms' is too short; the interval must be at least 1 s");
    refused({ every: 'soon' }, 'every', /^every: 'soon' is not a duration/);
  });

  it('refuses two kinds of schedule at once', function () {
    refused({ cron: '0 9 * * *', every: '7m' }, 'schedule', 'schedule: give at most one of cron, every and at (got cron and every)');
    refused({ every: '7m', at: '2026-12-24T18:00:00Z' }, 'schedule', /got every and at/);
  });
});

describe('event schedules in words', function () {
  it('describes each kind of schedule the way lists show it', function () {
    const cases: [Schedule, string][] = [
      [{ kind: 'manual' }, 'manual'],
      [cron('0 9 * * 1-5', 'Europe/Berlin'), 'cron 0 9 * * 1-5 (Europe/Berlin)'],
      [parseSchedule({ every: '7m' }, NOW), 'every 7m'],
      [parseSchedule({ every: '90s' }, NOW), 'every 1m30s'],
      [parseSchedule({ every: '1h30m' }, NOW), 'every 1h30m'],
      [parseSchedule({ at: '2026-12-24T18:00:00Z' }, NOW), 'once at 2026-12-24T18:00:00.000Z'],
    ];
    for (const [schedule, words] of cases) assert.equal(describeSchedule(schedule), words);
  });

  it('warns about DST only for a cron job whose next runs meet a clock change', function () {
    assert.equal(touchesDst(cron('30 2 * * *', 'Europe/Berlin'), ms('2026-03-27T00:00:00Z'), 5), true);
    assert.equal(touchesDst(cron('30 2 * * *', 'UTC'), ms('2026-03-27T00:00:00Z'), 5), false);
    assert.equal(touchesDst(cron('30 2 * * *', 'Europe/Berlin'), ms('2026-05-01T00:00:00Z'), 5), false);
    assert.equal(touchesDst(parseSchedule({ every: '1h' }, NOW), ms('2026-03-27T00:00:00Z'), 100), false);
  });
});

describe('durations', function () {
  it('reads the ways people write an interval', function () {
    const cases: [string, number][] = [
      ['7m', 420_000],
      ['90s', 90_000],
      ['1h30m', 5_400_000],
      ['1h 30m', 5_400_000],
      ['1d', 86_400_000],
      ['2 hours', 7_200_000],
      ['7 minutes', 420_000],
      ['every 7 minutes', 420_000],
      ['every hour', 3_600_000],
      ['500ms', 500],
    ];
    for (const [text, expected] of cases) assert.equal(parseDuration(text), expected, text);
  });

  it('gives up on text that is not a duration', function () {
    for (const text of ['soon', '', '7', '7 parsecs', 'm7']) assert.equal(parseDuration(text), undefined, text);
  });
});
