import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { errnoCode } from './errors';

/**
 * The shared secret of daemon and clients, created once (mode 0600) and kept across restarts so that
 * connected editors can reconnect to a restarted daemon.
 */
export function ensureToken(file: string): string {
  try {
    const fd = openSync(file, 'wx', 0o600);
    writeSync(fd, randomBytes(32).toString('hex'));
    closeSync(fd);
  } catch (e) {
    if (errnoCode(e) !== 'EEXIST') throw e;
  }
  chmodSync(file, 0o600);
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 32) throw new Error(`${file} holds no valid token; delete it and start the daemon again`);
  return token;
}
