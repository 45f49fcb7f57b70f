import { basename, extname } from 'node:path';
import * as vscode from 'vscode';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import {
  CreateEventRequest,
  PreviewScheduleRequest,
  type CreateEventParams,
  type EventDto,
  type PreviewScheduleParams,
} from '../../daemon/protocol/events';
import { UserError } from '../errors';
import { clock } from './eventFormat';

/** What the guided flow asks; tests and other commands may pass it whole to skip the prompts. */
export interface EventPreset {
  name?: string;
  schedule?: PreviewScheduleParams | 'manual';
}

/** The daemon's answer to a bad schedule, as a line for the input box (its message names the field). */
function problem(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/^Invalid params for events\/previewSchedule: /, '');
}

/** Asks for a schedule, showing the next 5 fire times (in the chosen zone) as the user types. */
async function askSchedule(client: DaemonClient): Promise<PreviewScheduleParams | 'manual' | undefined> {
  const kinds = [
    { label: 'Cron', description: 'e.g. 0 9 * * 1-5, in a time zone', scheduleKind: 'cron' as const },
    { label: 'Every…', description: 'a true interval: 90s, 7m, 1h30m', scheduleKind: 'every' as const },
    { label: 'Once at…', description: 'an ISO date-time', scheduleKind: 'at' as const },
    { label: 'Manual only', description: 'runs when you ask', scheduleKind: 'manual' as const },
  ];
  const kind = (await vscode.window.showQuickPick(kinds, { title: 'Create Event: schedule (2/3)' }))?.scheduleKind;
  if (kind === undefined) return undefined;
  if (kind === 'manual') return 'manual';
  let timezone: string | undefined;
  if (kind === 'cron' || kind === 'at') {
    const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
    timezone = await vscode.window.showInputBox({ title: 'Create Event: time zone', value: local, prompt: 'An IANA time zone, e.g. Europe/Berlin or UTC' });
    if (timezone === undefined) return undefined;
  }
  const examples = { cron: '0 9 * * 1-5', every: '15m', at: new Date(Date.now() + 3_600_000).toISOString().slice(0, 16) };
  const input = vscode.window.createInputBox();
  input.title = `Create Event: ${kind} (3/3)`;
  input.value = examples[kind];
  const params = (value: string): PreviewScheduleParams => ({ [kind]: value, ...(timezone ? { timezone } : {}) });
  const preview = async (value: string): Promise<void> => {
    try {
      const result = await client.request(PreviewScheduleRequest, params(value));
      const times = result.nextRuns.map((t) => `${t.slice(0, 10)} ${clock(t, timezone)}`).join(', ');
      input.validationMessage = undefined;
      input.prompt = `${result.scheduleText}: next ${times || 'none'}${result.dstWarning ? ' — ⚠ near a daylight-saving change: see README' : ''}`;
    } catch (e) {
      input.validationMessage = problem(e);
    }
  };
  void preview(input.value);
  return new Promise((resolve) => {
    input.onDidChangeValue((value) => void preview(value));
    input.onDidAccept(() => {
      if (input.validationMessage) return;
      resolve(params(input.value));
      input.hide();
    });
    input.onDidHide(() => {
      resolve(undefined);
      input.dispose();
    });
    input.show();
  });
}

/** The schedule step alone (editing an event's schedule). */
export function createScheduleOnly(client: DaemonClient): Promise<PreviewScheduleParams | 'manual' | undefined> {
  return askSchedule(client);
}

/**
 * "Create Event from Current File": name, schedule with a live preview, saved. The event runs the
 * file as it is at each run (saved to disk first).
 */
export async function createEventFromFile(client: DaemonClient, uri: vscode.Uri | undefined, preset: EventPreset = {}): Promise<EventDto | undefined> {
  const document = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  if (!document || document.uri.scheme !== 'file') throw new UserError('Open a script file saved on disk to make it an event.');
  if (document.isDirty) await document.save();
  const file = document.uri.fsPath;
  const name =
    preset.name ??
    (await vscode.window.showInputBox({
      title: 'Create Event: name (1/3)',
      value: basename(file, extname(file)),
      validateInput: (v) => (v.trim() ? undefined : 'Give the event a name'),
    }));
  if (!name) return undefined;
  const schedule = preset.schedule ?? (await askSchedule(client));
  if (schedule === undefined) return undefined;
  const params: CreateEventParams = { name: name.trim(), file, ...(schedule === 'manual' ? {} : schedule) };
  const { event } = await client.request(CreateEventRequest, params);
  void vscode.window.showInformationMessage(`Event ${event.name}: ${event.scheduleText}${event.nextRuns[0] ? `, next ${event.nextRuns[0]}` : ''}`);
  return event;
}
