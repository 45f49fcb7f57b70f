import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { CreateEventRequest, GetEventRequest } from '../../daemon/protocol/events';
import { DaemonProcess } from '../helpers/daemonProcess';
import { requireService } from '../helpers/services';
import { makeTempHome, removeHome } from '../helpers/tempHome';
import { waitFor } from '../helpers/wait';

/** libfaketime of Debian's faketime package (the multi-threaded build: Node.js runs threads). */
const LIBFAKETIME = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1'].find(
  (path) => existsSync(path),
);

function faketimeProblem(): string | undefined {
  if (LIBFAKETIME === undefined) return 'libfaketime is not installed (apt-get install faketime)';
  try {
    const out = execFileSync('date', ['-u', '+%Y'], { env: { ...process.env, LD_PRELOAD: LIBFAKETIME, FAKETIME: '@2001-02-03 04:05:06' } });
    return out.toString().trim() === '2001' ? undefined : `libfaketime did not change the clock (date said ${out.toString().trim()})`;
  } catch (e) {
    return `libfaketime does not run: ${(e as Error).message}`;
  }
}

/**
 * A `node` whose clock starts at `utc` and runs at normal speed from there, for DaemonProcess. The
 * library is preloaded into node itself (not through the faketime command, which would stand between
 * the test and the daemon and not pass a SIGTERM on).
 */
function nodeAt(home: string, utc: string): string {
  const wrapper = join(home, `node-at-${utc.replace(/\D/g, '')}`);
  writeFileSync(wrapper, `#!/bin/sh\nexec env TZ=UTC LD_PRELOAD='${LIBFAKETIME}' FAKETIME='@${utc}' '${process.execPath}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

function firedSlots(home: string, eventId: string): { at: string; catchUp: boolean }[] {
  const db = new Database(join(home, 'cronium.db'), { readonly: true });
  try {
    return db
      .prepare<[string], { scheduled_for: number; catch_up: number }>(
        "SELECT scheduled_for, catch_up FROM event_slots WHERE event_id = ? AND decision = 'fired' ORDER BY scheduled_for",
      )
      .all(eventId)
      .map((r) => ({ at: new Date(r.scheduled_for).toISOString(), catchUp: r.catch_up === 1 }));
  } finally {
    db.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The real daemon at chosen wall-clock times (libfaketime), on the 2026 DST days of Europe/Berlin:
 * spring forward on 29 March at 02:00 CET (01:00Z) to 03:00 CEST; fall back on 25 October at 03:00
 * CEST (01:00Z) to 02:00 CET. The rule (README): 02:30 on a spring-forward day runs at 03:00; on a
 * fall-back day once, at the first 02:30; an interval pattern runs in both occurrences of the hour.
 */
describe('schedules at chosen wall-clock times, against the real daemon (faketime): DST days, a sleep', function () {
  this.timeout(90_000);
  let home: string;
  let daemon: DaemonProcess | undefined;
  let client: DaemonClient | undefined;

  before(function () {
    requireService(this, 'faketime', faketimeProblem());
  });
  beforeEach(() => {
    home = makeTempHome();
  });
  afterEach(async () => {
    client?.close();
    if (daemon?.running) await daemon.stop();
    removeHome(home);
  });

  const startAt = async (utc: string): Promise<DaemonClient> => {
    client?.close();
    if (daemon?.running) await daemon.stop();
    daemon = await DaemonProcess.start(home, { TZ: 'UTC' }, { node: nodeAt(home, utc) });
    client = await daemon.connect();
    return client;
  };

  it('a wall clock that jumps ahead of the monotonic one (a machine that slept) is caught up with the reason', async () => {
    // libfaketime reads the clock's offset from this file at every call: writing "+120" moves the wall
    // clock two minutes ahead while the monotonic clock (timers) runs on, as after a suspend.
    const offset = join(home, 'clock-offset');
    writeFileSync(offset, '+0');
    const wrapper = join(home, 'node-sleeps');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexec env LD_PRELOAD='${LIBFAKETIME}' FAKETIME_TIMESTAMP_FILE='${offset}' FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 '${process.execPath}' "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    daemon = await DaemonProcess.start(home, {}, { node: wrapper });
    client = await daemon.connect();
    const { event } = await client.request(CreateEventRequest, {
      name: 'slept',
      script: 'true\n',
      runtime: 'bash',
      target: 'local',
      every: '10s',
      catchUp: 'latest',
    });
    writeFileSync(offset, '+120');
    const db = () => new Database(join(home, 'cronium.db'), { readonly: true });
    const rows = await waitFor(
      'the slots of the jump to be decided',
      () => {
        const conn = db();
        try {
          const slots = conn
            .prepare<[string], { decision: string; catch_up: number; reason: string | null }>(
              'SELECT decision, catch_up, reason FROM event_slots WHERE event_id = ? ORDER BY scheduled_for',
            )
            .all(event.id);
          return slots.length >= 5 && slots.every((r) => r.decision !== 'firing') ? slots : undefined;
        } finally {
          conn.close();
        }
      },
      30_000,
    );
    assert.ok(rows.every((r) => /missed: the machine was asleep/.test(r.reason ?? '')), JSON.stringify(rows));
    assert.deepEqual(rows.map((r) => r.decision), [...rows.slice(0, -1).map(() => 'skipped'), 'fired'], 'latest: the newest runs');
    assert.equal(rows[rows.length - 1].catch_up, 1);
  });

  it('Europe/Berlin spring forward: 30 2 * * * runs at 03:00 CEST (01:00Z) that day, then at 02:30 again', async () => {
    const c = await startAt('2026-03-29 00:59:52');
    const { event } = await c.request(CreateEventRequest, {
      name: 'half-past-two',
      script: 'echo "$CRONIUM_SCHEDULED_TIME"\n',
      runtime: 'bash',
      target: 'local',
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
    });
    assert.deepEqual(event.nextRuns.slice(0, 3), ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
    await waitFor('the slot to fire', () => firedSlots(home, event.id).length === 1, 20_000);
    assert.deepEqual(firedSlots(home, event.id), [{ at: '2026-03-29T01:00:00.000Z', catchUp: false }]);
    const after = (await c.request(GetEventRequest, { event: 'half-past-two' })).event;
    assert.ok(!['skipped', 'failed', 'firing'].includes(after.slots[0].outcome), `outcome ${after.slots[0].outcome}`);
    assert.ok((after.slots[0].delayMs ?? Infinity) < 1000, `fired ${after.slots[0].delayMs} ms late`);
    assert.equal(after.nextRuns[0], '2026-03-30T00:30:00.000Z');
  });

  it('Europe/Berlin fall back: 30 2 * * * runs once, at the first 02:30; */30 runs in both 02:30s', async () => {
    let c = await startAt('2026-10-25 00:29:53');
    const base = { script: 'true\n', runtime: 'bash' as const, target: 'local' as const, timezone: 'Europe/Berlin' };
    const fixed = (await c.request(CreateEventRequest, { ...base, name: 'fixed', cron: '30 2 * * *' })).event;
    const interval = (await c.request(CreateEventRequest, { ...base, name: 'interval', cron: '*/30 * * * *', catchUp: 'none' })).event;
    assert.deepEqual(fixed.nextRuns.slice(0, 2), ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    await waitFor('the first 02:30 to fire', () => firedSlots(home, fixed.id).length === 1 && firedSlots(home, interval.id).length === 1, 20_000);

    // An hour later by the wall clock: 02:29:53 CET, just before the second 02:30.
    c = await startAt('2026-10-25 01:29:53');
    await waitFor('the second 02:30 of the interval pattern', () => firedSlots(home, interval.id).length === 2, 20_000);
    await sleep(1500);
    assert.deepEqual(firedSlots(home, fixed.id), [{ at: '2026-10-25T00:30:00.000Z', catchUp: false }], 'the fixed time ran once');
    assert.deepEqual(firedSlots(home, interval.id), [
      { at: '2026-10-25T00:30:00.000Z', catchUp: false },
      { at: '2026-10-25T01:30:00.000Z', catchUp: false },
    ]);
    assert.equal((await c.request(GetEventRequest, { event: 'fixed' })).event.nextRuns[0], '2026-10-26T01:30:00.000Z');
  });
});
