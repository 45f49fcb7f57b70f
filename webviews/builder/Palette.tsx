import { memo, type DragEvent } from 'react';
import type { PaletteEvent } from '../protocol/builder';

/** What a palette entry drops on the canvas. */
export type PaletteItem = { kind: 'event'; event: string } | { kind: 'script'; runtime: 'bash' | 'python' | 'node' } | { kind: 'http' };

export const PALETTE_MIME = 'application/x-cronium-step';

const startDrag = (item: PaletteItem) => (e: DragEvent) => {
  e.dataTransfer.setData(PALETTE_MIME, JSON.stringify(item));
  e.dataTransfer.effectAllowed = 'copy';
};

/** The daemon's events and new steps, dragged onto the canvas (or added at its centre with Enter). */
export const Palette = memo(function Palette({ events, onAdd }: { events: readonly PaletteEvent[]; onAdd: (item: PaletteItem) => void }) {
  const entry = (key: string, item: PaletteItem, icon: string, label: string, sub?: string) => (
    <li key={key}>
      <button
        type="button"
        className="palette-item"
        draggable
        onDragStart={startDrag(item)}
        onClick={() => onAdd(item)}
        title={`Drag onto the canvas, or click to add ${label}`}
      >
        <span className={`codicon codicon-${icon}`} aria-hidden="true" />
        <span className="palette-label">{label}</span>
        {sub ? <span className="palette-sub">{sub}</span> : null}
      </button>
    </li>
  );
  return (
    <nav className="palette" aria-label="Steps to add">
      <h2>New step</h2>
      <ul>
        {entry('bash', { kind: 'script', runtime: 'bash' }, 'terminal-bash', 'New inline script', 'bash')}
        {entry('python', { kind: 'script', runtime: 'python' }, 'symbol-namespace', 'New inline script', 'python')}
        {entry('node', { kind: 'script', runtime: 'node' }, 'symbol-event', 'New inline script', 'node')}
        {entry('http', { kind: 'http' }, 'globe', 'HTTP request')}
      </ul>
      <h2>Events</h2>
      {events.length === 0 ? <p className="palette-empty">No events yet: create one from a script (Cronium: Create Event from Current File).</p> : null}
      <ul>{events.map((event) => entry(`event:${event.name}`, { kind: 'event', event: event.name }, 'calendar', event.name, event.schedule))}</ul>
    </nav>
  );
});
