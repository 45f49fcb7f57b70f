import type { EventDto, EventStatus, SlotDto } from '../../daemon/protocol/events';

/** How long ago or ahead `iso` is, in words: `in 5m`, `2h ago`. */
export function relative(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const words =
    abs < 60_000 ? `${Math.max(1, Math.round(abs / 1000))}s` : abs < 3_600_000 ? `${Math.round(abs / 60_000)}m` : abs < 86_400_000 ? `${Math.round(abs / 3_600_000)}h` : `${Math.round(abs / 86_400_000)}d`;
  return ms >= 0 ? `in ${words}` : `${words} ago`;
}

/** The wall-clock time of `iso` in the event's zone (or the editor's), e.g. `14:05`. */
export function clock(iso: string, timeZone?: string): string {
  return new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', timeZone });
}

export function zoneOf(event: EventDto): string | undefined {
  return event.schedule.kind === 'cron' ? event.schedule.timezone : undefined;
}

/** The latest slot that made a job (or tried to). */
export function lastRun(event: EventDto): SlotDto | undefined {
  return event.slots.find((s) => s.outcome !== 'skipped');
}

const OUTCOME_MARK: Record<string, string> = { succeeded: '✓', failed: '✗', timed_out: '⏱', cancelled: '⊘', partial: '◐' };

export function outcomeMark(outcome: string): string {
  return OUTCOME_MARK[outcome] ?? '…';
}

/** Slots that fired late or not at all among those shown. */
export function lateCount(event: EventDto): number {
  return event.slots.filter((s) => s.catchUp || s.outcome === 'skipped' || (s.delayMs ?? 0) > 1000).length;
}

/** The row of the Events view: schedule in words, next run, last result. */
export function eventDescription(event: EventDto, now: number): string {
  const parts = [event.scheduleText];
  if (event.nextRuns[0]) parts.push(`next ${relative(event.nextRuns[0], now)}`);
  const last = lastRun(event);
  if (last?.firedAt) parts.push(`last ${outcomeMark(last.outcome)} ${relative(last.firedAt, now)}`);
  return parts.join(' · ');
}

/** The CodeLens above an event's script: `▷ Run now · next 14:05 Europe/Berlin · last ✓ 2m ago · 1 late`. */
export function codeLensTitle(event: EventDto, now: number): string {
  const parts = [`▷ Run ${event.name} now`];
  if (event.nextRuns[0]) parts.push(`next ${clock(event.nextRuns[0], zoneOf(event))}${zoneOf(event) ? ` ${zoneOf(event)}` : ''}`);
  else if (event.status !== 'active') parts.push(event.status);
  const last = lastRun(event);
  if (last?.firedAt) parts.push(`last ${outcomeMark(last.outcome)} ${relative(last.firedAt, now)}`);
  const late = lateCount(event);
  if (late > 0) parts.push(`${late} late`);
  return parts.join(' · ');
}

export const STATUS_ORDER: readonly EventStatus[] = ['active', 'paused', 'draft', 'archived'];

export function statusTitle(status: EventStatus): string {
  return status[0].toUpperCase() + status.slice(1);
}
