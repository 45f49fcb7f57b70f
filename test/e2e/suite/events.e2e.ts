// Runs inside the VS Code extension host (code-server), against the real daemon bundle in dist/.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { EventDto } from '../../../daemon/protocol/events';
import { EventCodeLens } from '../../../extension/events/eventCodeLens';
import type { EventGroupItem, EventItem } from '../../../extension/events/eventsTree';
import type { CroniumApi } from '../../../extension/extension';

const EXTENSION_ID = 'cronium.cronium-vscode';

// The suite is bundled apart from the extension, so its classes are not the extension's: tell tree
// items apart by their shape, not with instanceof.
const isGroup = (item: unknown, status: string): item is EventGroupItem =>
  typeof item === 'object' && item !== null && (item as EventGroupItem).status === status && !('event' in item);
const isEvent = (item: unknown, id: string | undefined): item is EventItem =>
  typeof item === 'object' && item !== null && (item as EventItem).event?.id === id;

async function until<T>(what: string, check: () => T | undefined | false, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Events in a real VS Code', function () {
  this.timeout(60_000);
  let api: CroniumApi;

  before(async function () {
    const ext = vscode.extensions.getExtension<CroniumApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    api = await ext.activate();
    await vscode.commands.executeCommand('cronium.daemon.start');
  });

  it('creates an event from the current file, shows it with its next run and CodeLens, watches it fire, pauses it', async function () {
    const file = join(mkdtempSync(join(tmpdir(), 'crx-ev-')), 'tick.sh');
    writeFileSync(file, '#!/bin/bash\necho "tick $CRONIUM_SCHEDULED_TIME"\n');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);

    const name = `tick-${Date.now()}`;
    const id = await vscode.commands.executeCommand<string>('cronium.events.createFromFile', undefined, { name, schedule: { every: '2s' } });
    assert.match(id ?? '', /^evt_/);

    // In the Events view, under Active, with the schedule in words and its next run.
    const group = await until('the Active group', () => api.events.getChildren().find((g) => isGroup(g, 'active')) as EventGroupItem | undefined);
    const row = await until('the event row', () => api.events.getChildren(group).find((i) => isEvent(i, id)) as EventItem | undefined);
    assert.match(String(row.description), /^every 2s · next in \ds/);
    assert.equal(row.contextValue, 'event active file');

    // The CodeLens above the script.
    const lenses = new EventCodeLens(api.events).provideCodeLenses(doc);
    assert.equal(lenses.length, 1);
    assert.match(lenses[0].command?.title ?? '', new RegExp(`^▷ Run ${name} now · next \\d\\d:\\d\\d`));
    assert.equal(lenses[0].command?.command, 'cronium.events.run');

    // It fires: the row shows the last result.
    const fired = await until('a slot to fire and succeed', () => {
      const event = api.events.get(id as string);
      return event?.slots.some((s) => s.outcome === 'succeeded') ? event : undefined;
    });
    const job = api.jobs.get(fired.slots.find((s) => s.outcome === 'succeeded')?.jobId as string);
    assert.equal(job?.eventId, id, 'the job is in the Jobs view with its event');
    await until('the row to show ✓', () => {
      const item = api.events.getChildren(group).find((i) => isEvent(i, id)) as EventItem | undefined;
      return item && /last ✓/.test(String(item.description));
    });

    // Pause: it moves to Paused and has no next run.
    await vscode.commands.executeCommand('cronium.events.pause', id);
    const paused = await until('the Paused group', () => api.events.getChildren().find((g) => isGroup(g, 'paused')) as EventGroupItem | undefined);
    const pausedRow = api.events.getChildren(paused).find((i) => isEvent(i, id));
    assert.ok(pausedRow, 'the event is under Paused');
    assert.equal((api.events.get(id as string) as EventDto).nextRuns.length, 0);
  });
});
