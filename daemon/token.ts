import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync } from 'node:fs';
import { createFileExclusive } from './exclusiveFile';

/**
 * The shared secret of daemon and clients, created once (mode 0600) and kept across restarts so that
 * connected editors can reconnect to a restarted daemon.
 */
export function ensureToken(file: string): string {
  createFileExclusive(file, randomBytes(32).toString('hex'), 0o600);
  chmodSync(file, 0o600);
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 32) throw new Error(`${file} holds no valid token; delete it and start the daemon again`);
  return token;
}
