import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import type { DaemonClient } from '../../daemon/client/daemonClient';
import { AddServerRequest, TrustServerRequest } from '../../daemon/protocol/servers';
import { TEST_USER, type TestSshd } from './sshd';

/** Processes of the test user whose command line holds `marker`, as the server sees them. */
export function remoteProcesses(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-u', TEST_USER, '-a', '-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** The job folders on the server (its /tmp), of this execution or all. */
export function remoteDirs(executionId = ''): string[] {
  return readdirSync('/tmp').filter((name) => name.startsWith(`cronium-${executionId}`) && (executionId !== '' || name.startsWith('cronium-exe_')));
}

/** Adds `sshd` as server `name` (key login) and trusts the key it shows, checked against its key file. */
export async function addTrusted(client: DaemonClient, name: string, sshd: TestSshd): Promise<void> {
  await client.connection.sendRequest(AddServerRequest, { name, host: '127.0.0.1', port: sshd.port, username: TEST_USER, privateKey: sshd.clientKeyText() });
  await client.connection.sendRequest(TrustServerRequest, { server: name, fingerprint: sshd.hostKeyFingerprint() });
}
