import * as vscode from 'vscode';
import { resolveHome } from '../daemon/client/homeLayout';
import type { Target } from '../daemon/protocol/dto';
import { TARGETS } from '../daemon/protocol/dto';
import type { DaemonSettings } from '../daemon/protocol/settings';

function section(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('cronium');
}

/** `cronium.home`, else `$CRONIUM_HOME`, else `~/.cronium` — the same order as the CLI's `--home`. */
export function configuredHome(): string {
  return resolveHome(section().get<string>('home'));
}

export function configuredNodePath(): string | undefined {
  return section().get<string>('daemon.nodePath')?.trim() || undefined;
}

export function configuredTarget(): Target {
  const value = section().get<string>('defaultTarget');
  return TARGETS.find((t) => t === value) ?? 'auto';
}

/**
 * Daemon settings the user set in VS Code. Empty ones are left out so a value set with the CLI is not
 * overwritten by an untouched editor setting.
 */
export function daemonSettingsOverrides(): Partial<DaemonSettings> {
  const c = section();
  const out: Partial<DaemonSettings> = {};
  const pick = (key: string): string | undefined => c.get<string>(key)?.trim() || undefined;
  const dockerHost = pick('docker.host');
  if (dockerHost) out.dockerHost = dockerHost;
  const bash = pick('images.bash');
  if (bash) out.imageBash = bash;
  const python = pick('images.python');
  if (python) out.imagePython = python;
  const node = pick('images.node');
  if (node) out.imageNode = node;
  // Only a value the user set: the declared default must not override `cronium settings set`.
  const retention = c.inspect<number>('logs.retentionDays');
  const days = retention?.workspaceValue ?? retention?.globalValue;
  if (typeof days === 'number') out.logRetentionDays = days;
  return out;
}
