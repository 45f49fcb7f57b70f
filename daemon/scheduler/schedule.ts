/**
 * The schedule math of events: pure functions, no timers (the daemon keeps its own single timer and asks
 * here when the next slots are). Cron patterns are computed by croner 11, which never starts a timer of
 * its own here: every Cron is created paused and without a callback.
 *
 * Daylight saving time, as croner 11 does it (Vixie cron's rule), verified by the unit tests:
 * - A fixed-time job (no `*` and no step in its second, minute and hour fields, e.g. `30 2 * * *` or
 *   `30 2,14 * * *`): 02:30 on a spring-forward day runs at 03:00, the first valid time after the gap;
 *   on a fall-back day it runs once, at the first 02:30.
 * - An interval job (e.g. `*\/15 * * * *`, `0 *\/2 * * *`): times in a spring-forward gap are skipped, and
 *   the repeated hour of a fall-back day runs on both of its occurrences.
 * We pass croner `fixedTimeRule: 'no-wildcard'` so that lists and ranges count as fixed times, as in
 * Vixie cron; otherwise `30 2,14 * * *` would skip 02:30 on a spring-forward day and run it twice on a
 * fall-back day.
 * An `every` schedule is a true interval in real time and knows no DST; an `at` time without an offset
 * that falls in a gap moves forward by the gap's length (02:30 → 03:30), as JavaScript dates do, and one
 * in a fold is the first occurrence.
 */
import { Cron } from 'croner';

/** How an event is scheduled. Times are epoch milliseconds. */
export type Schedule =
  | { kind: 'manual' }
  | { kind: 'cron'; expression: string; timezone: string } // 5 fields, or 6 with seconds first; an IANA zone
  | { kind: 'every'; everyMs: number; anchorMs: number } // a true interval: anchor + k * everyMs, k >= 1
  | { kind: 'at'; atMs: number }; // once

/** A schedule given by a user: what `cronium events create --cron/--tz/--every/--at` passes. */
export interface ScheduleInput {
  cron?: string;
  /** Only with cron or at; default: the daemon's own zone. */
  timezone?: string;
  every?: string;
  /** ISO 8601; without an offset it is read in `timezone`, else in the daemon's zone. */
  at?: string;
}

/** A schedule a user gave that cannot be used; `field` says which option to fix, and so does the message. */
export class ScheduleError extends Error {
  constructor(
    readonly field: 'cron' | 'timezone' | 'every' | 'at' | 'schedule',
    message: string,
  ) {
    super(message);
    this.name = 'ScheduleError';
  }
}

const [SECOND, HOUR, DAY] = [1000, 3_600_000, 86_400_000];
/** Shorter intervals would keep the queue busy with nothing but this event. */
const MIN_EVERY_MS = SECOND;

const daemonZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';

/** Validates and normalizes a user's schedule; throws ScheduleError naming the field. */
export function parseSchedule(input: ScheduleInput, nowMs: number): Schedule {
  const given = (['cron', 'every', 'at'] as const).filter((field) => input[field] !== undefined);
  if (given.length > 1) {
    throw new ScheduleError('schedule', `schedule: give at most one of cron, every and at (got ${given.join(' and ')})`);
  }
  const timezone = input.timezone === undefined ? undefined : resolveZone(input.timezone);
  if (timezone !== undefined && input.cron === undefined && input.at === undefined) {
    throw new ScheduleError('timezone', `timezone: '${input.timezone}' applies only to a cron or an at schedule`);
  }
  if (input.cron !== undefined) return parseCron(input.cron, timezone ?? daemonZone(), nowMs);
  if (input.every !== undefined) return parseEvery(input.every, nowMs);
  if (input.at !== undefined) return parseAt(input.at, timezone ?? daemonZone(), nowMs);
  return { kind: 'manual' };
}

/** The canonical name of an IANA zone ('utc' → 'UTC'), so stored schedules compare equal. */
function resolveZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new ScheduleError('timezone', `timezone: '${zone}' is not a known IANA time zone (e.g. 'Europe/Berlin' or 'UTC')`);
  }
}

/** Parsed patterns by expression and zone: many events share one, and the scheduler asks again at each slot. */
/** Zones that are UTC all year (Intl's canonical names for them). */
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Etc/Zulu', 'Etc/Greenwich', 'Etc/UCT']);

const CRONS = new Map<string, Cron>();
const CRONS_KEPT = 500;

function cronFor(expression: string, timezone: string): Cron {
  const key = `${timezone} ${expression}`;
  let cron = CRONS.get(key);
  if (cron === undefined) {
    // UTC has no rules to look up: croner's fixed offset keeps the time zone database (ICU's data, about
    // 5.5 MiB of the daemon's RSS once read) out of a daemon whose schedules are all in UTC.
    const zone = UTC_ZONES.has(timezone) ? { utcOffset: 0 } : { timezone };
    cron = new Cron(expression, { ...zone, mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard', paused: true });
    if (CRONS.size >= CRONS_KEPT) CRONS.delete(CRONS.keys().next().value as string);
    CRONS.set(key, cron);
  }
  return cron;
}

const NICKNAMES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

function parseCron(text: string, timezone: string, nowMs: number): Schedule {
  const expression = text.trim().split(/\s+/).join(' ');
  const invalid = (reason: string) => new ScheduleError('cron', `cron: '${text}' is not a valid cron expression (${reason})`);
  const fields = expression === '' ? 0 : expression.split(' ').length;
  if (expression.startsWith('@')) {
    if (!NICKNAMES.includes(expression.toLowerCase())) throw invalid(`the nicknames are ${NICKNAMES.join(', ')}`);
  } else if (fields === 7) {
    throw invalid('it has 7 fields, and years are not supported: use 5 fields, or 6 with seconds first');
  } else if (fields !== 5 && fields !== 6) {
    throw invalid(`it has ${fields} field${fields === 1 ? '' : 's'}: use 5, or 6 with seconds first`);
  }
  let cron: Cron;
  try {
    cron = cronFor(expression, timezone);
  } catch (e) {
    // croner's own reason, without its class name: "Invalid value for minute: 61".
    const reason = (e instanceof Error ? e.message : String(e)).replace(/^CronPattern:\s*/, '');
    throw invalid(reason.charAt(0).toLowerCase() + reason.slice(1));
  }
  if (cron.nextRun(new Date(nowMs)) === null) throw new ScheduleError('cron', `cron: '${text}' never runs (no such date)`);
  return { kind: 'cron', expression, timezone };
}

function parseEvery(text: string, nowMs: number): Schedule {
  const everyMs = parseDuration(text);
  if (everyMs === undefined) {
    throw new ScheduleError('every', `every: '${text}' is not a duration (e.g. '90s', '7m', '1h30m' or '1d')`);
  }
  if (everyMs <= 0) throw new ScheduleError('every', `every: '${text}' is not a positive duration; the interval must be at least 1 s`);
  if (everyMs < MIN_EVERY_MS) throw new ScheduleError('every', `every: '${text}' is too short; the interval must be at least 1 s`);
  if (!Number.isSafeInteger(everyMs)) throw new ScheduleError('every', `every: '${text}' is too long`);
  return { kind: 'every', everyMs, anchorMs: nowMs };
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|([+-])(\d{2})(?::?(\d{2}))?)?$/i;

function parseAt(text: string, timezone: string, nowMs: number): Schedule {
  const invalid = () => new ScheduleError('at', `at: '${text}' is not an ISO 8601 date-time (e.g. 2026-12-24T18:00 or 2026-12-24T18:00:00Z)`);
  const m = ISO_DATE_TIME.exec(text.trim());
  if (m === null) throw invalid();
  const [year, month, day, hour, minute, second = 0] = m.slice(1, 7).map((part) => (part === undefined ? 0 : Number(part)));
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(wall);
  // Date.UTC rolls 2026-02-30 over into March; a date that does not round-trip does not exist.
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw invalid();
  const zone = m[8];
  let atMs: number;
  if (zone === undefined) atMs = wallTimeToMs(wall, timezone);
  else if (zone.toUpperCase() === 'Z') atMs = wall;
  else atMs = wall - (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11] ?? 0)) * 60_000;
  if (atMs <= nowMs) throw new ScheduleError('at', `at: ${text} is in the past`);
  return { kind: 'at', atMs };
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** How far the zone's wall clock is ahead of UTC at an instant, in ms (Berlin in summer: 2 h). */
function utcOffsetMs(timeZone: string, atMs: number): number {
  let format = offsetFormats.get(timeZone);
  if (format === undefined) {
    const n = 'numeric';
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: n, month: n, day: n, hour: n, minute: n, second: n });
    offsetFormats.set(timeZone, format);
  }
  const p = Object.fromEntries(format.formatToParts(atMs).map(({ type, value }) => [type, Number(value)]));
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(atMs / SECOND) * SECOND;
}

/** The instant a wall-clock time in a zone names: in a fold the first one, in a gap shifted forward by the gap. */
function wallTimeToMs(wall: number, timeZone: string): number {
  const before = utcOffsetMs(timeZone, wall - DAY);
  const after = utcOffsetMs(timeZone, wall + DAY);
  const fits = [before, after].map((offset) => wall - offset).filter((t) => utcOffsetMs(timeZone, t) === wall - t);
  return fits.length > 0 ? Math.min(...fits) : wall - before;
}

/** Every slot strictly after `afterMs`, lazily, in order. */
function* slotsAfter(schedule: Schedule, afterMs: number): Generator<number> {
  switch (schedule.kind) {
    case 'manual':
      return;
    case 'at':
      if (schedule.atMs > afterMs) yield schedule.atMs;
      return;
    case 'every': {
      // k >= 1: the anchor is when the event was made, and making it is not a run.
      let k = Math.max(1, Math.floor((afterMs - schedule.anchorMs) / schedule.everyMs) + 1);
      for (;;) yield schedule.anchorMs + k++ * schedule.everyMs;
    }
    case 'cron':
      for (const run of cronFor(schedule.expression, schedule.timezone).enumerate(new Date(afterMs))) {
        if (run.getTime() > afterMs) yield run.getTime();
      }
  }
}

function take(slots: Iterable<number>, limit: number, untilMs = Infinity): number[] {
  const taken: number[] = [];
  if (limit < 1) return taken;
  for (const slot of slots) {
    if (slot > untilMs) break;
    taken.push(slot);
    if (taken.length >= limit) break;
  }
  return taken;
}

/** The next `count` slot times strictly after `afterMs`, in order. */
export function nextSlots(schedule: Schedule, afterMs: number, count: number): number[] {
  if (schedule.kind === 'cron' && count === 1) return nextCronSlot(schedule, afterMs);
  return take(slotsAfter(schedule, afterMs), count);
}

/** The last next slot found per cron schedule: the slot after `from`, which is `next`. */
const NEXT_CRON = new Map<string, { from: number; next: number | undefined }>();

/**
 * The next slot of a cron schedule, remembered: the slot after any time in [from, next) is `next`, so
 * the daemon planning 1,000 events on one schedule (say hourly) asks croner once, not 1,000 times.
 */
function nextCronSlot(schedule: Extract<Schedule, { kind: 'cron' }>, afterMs: number): number[] {
  const key = `${schedule.timezone} ${schedule.expression}`;
  const known = NEXT_CRON.get(key);
  if (known !== undefined && known.from <= afterMs && (known.next === undefined || afterMs < known.next)) {
    return known.next === undefined ? [] : [known.next];
  }
  const [next] = take(slotsAfter(schedule, afterMs), 1);
  if (NEXT_CRON.size >= CRONS_KEPT) NEXT_CRON.delete(NEXT_CRON.keys().next().value as string);
  NEXT_CRON.set(key, { from: afterMs, next });
  return next === undefined ? [] : [next];
}

/** The slots in (fromMs, toMs], oldest first, at most `limit` of them (catch-up after downtime: callers cap it). */
export function slotsBetween(schedule: Schedule, fromMs: number, toMs: number, limit: number): number[] {
  return take(slotsAfter(schedule, fromMs), limit, toMs);
}

/** '1h30m', '90s' → '1m30s': an interval the way a user would type it. */
function formatInterval(ms: number): string {
  const units: [string, number][] = [['d', DAY], ['h', HOUR], ['m', 60_000], ['s', SECOND], ['ms', 1]];
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text || '0s';
}

/** The schedule in words, for lists. */
export function describeSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case 'manual':
      return 'manual';
    case 'cron':
      return `cron ${schedule.expression} (${schedule.timezone})`;
    case 'every':
      return `every ${formatInterval(schedule.everyMs)}`;
    case 'at':
      return `once at ${new Date(schedule.atMs).toISOString()}`;
  }
}

/**
 * True when one of the next `count` cron slots falls in or next to a DST change of its zone, for a warning in
 * the editor. Only cron follows the wall clock: `every` and `at` are instants and never move.
 */
export function touchesDst(schedule: Schedule, fromMs: number, count: number): boolean {
  if (schedule.kind !== 'cron') return false;
  const zone = schedule.timezone;
  return nextSlots(schedule, fromMs, count).some((slot) => utcOffsetMs(zone, slot - HOUR) !== utcOffsetMs(zone, slot + HOUR));
}

const UNIT_MS: Record<string, number> = { ms: 1, msec: 1, millisecond: 1, s: SECOND, sec: SECOND, second: SECOND, m: 60_000, min: 60_000,
  minute: 60_000, h: HOUR, hr: HOUR, hour: HOUR, d: DAY, day: DAY, w: 7 * DAY, week: 7 * DAY };

/** Parses durations like '7m', '90s', '1h30m', '1d', '2 hours', 'every 7 minutes'; ms (negative for '-5m'), or undefined. */
export function parseDuration(text: string): number | undefined {
  let rest = text.trim().toLowerCase().replace(/^every\s+/, '');
  const sign = rest.startsWith('-') ? -1 : 1;
  if (sign < 0) rest = rest.slice(1).trim();
  if (/^[a-z]{3,}$/.test(rest)) rest = `1 ${rest}`; // 'every minute'
  const part = /(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)(?:\s*,?\s*(?:and\s+)?)/y;
  let total = 0;
  while (part.lastIndex < rest.length) {
    const m = part.exec(rest);
    if (m === null) return undefined;
    const name = [m[2], m[2].replace(/s$/, '')].find((n) => Object.hasOwn(UNIT_MS, n)); // 'minutes' → 'minute'
    const unit = name === undefined ? undefined : UNIT_MS[name];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
  }
  if (rest === '' || !Number.isFinite(total)) return undefined;
  return sign * Math.round(total);
}
