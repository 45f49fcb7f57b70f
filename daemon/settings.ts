import { availableParallelism } from 'node:os';
import type { DaemonSettings } from './protocol/settings';
import type { SettingsStore } from './store/settingsStore';

export function defaultSettings(): DaemonSettings {
  return {
    concurrency: availableParallelism() * 2,
    killGraceMs: 5000,
    defaultTimeoutMs: 0,
    logRetentionDays: 30,
    dockerHost: '',
    imageBash: 'cronium/bash:latest',
    imagePython: 'cronium/python:latest',
    imageNode: 'cronium/node:latest',
    imageSidecar: 'cronium/sidecar:latest',
    warmContainers: true,
    jobNice: 19,
    webhookHost: '127.0.0.1',
    webhookPort: 47810,
    sshPoolSize: 4,
    sshConnectTimeoutMs: 10_000,
    sshKeepaliveMs: 15_000,
    sshIdleMs: 300_000,
    sshCircuitResetMs: 60_000,
  };
}

/** Image of a runtime (or the sidecar): the environment variable wins over the setting. */
export function imageFor(settings: DaemonSettings, kind: 'bash' | 'python' | 'node' | 'sidecar', env = process.env): string {
  const key = { bash: 'imageBash', python: 'imagePython', node: 'imageNode', sidecar: 'imageSidecar' } as const;
  return env[`CRONIUM_IMAGE_${kind.toUpperCase()}`] || settings[key[kind]];
}

/** Settings with their defaults, cached in memory: the queue reads them on every claim. */
export class Settings {
  private current: DaemonSettings;

  constructor(private readonly store: SettingsStore) {
    const defaults = defaultSettings();
    const stored: Record<string, unknown> = {};
    for (const key of Object.keys(defaults) as (keyof DaemonSettings)[]) {
      const value = store.get(key);
      if (typeof value === typeof defaults[key]) stored[key] = value;
    }
    this.current = { ...defaults, ...(stored as Partial<DaemonSettings>) };
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
