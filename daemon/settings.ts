import { availableParallelism } from 'node:os';
import type { DaemonSettings } from './protocol/settings';
import type { SettingsStore } from './store/settingsStore';

export function defaultSettings(): DaemonSettings {
  return { concurrency: availableParallelism() * 2, killGraceMs: 5000, defaultTimeoutMs: 0 };
}

/** Settings with their defaults, cached in memory: the queue reads them on every claim. */
export class Settings {
  private current: DaemonSettings;

  constructor(private readonly store: SettingsStore) {
    const stored: Partial<DaemonSettings> = {};
    for (const key of Object.keys(defaultSettings()) as (keyof DaemonSettings)[]) {
      const value = store.get(key);
      if (typeof value === 'number') stored[key] = value;
    }
    this.current = { ...defaultSettings(), ...stored };
  }

  get(): DaemonSettings {
    return this.current;
  }

  update(changes: Partial<DaemonSettings>): DaemonSettings {
    for (const [key, value] of Object.entries(changes)) {
      if (value !== undefined) this.store.set(key, value);
    }
    this.current = { ...this.current, ...changes };
    return this.current;
  }
}
