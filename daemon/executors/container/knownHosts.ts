import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { errnoCode } from '../../errors';

/** Where OpenSSH looks for host keys: the user's file, then the system's. */
export function knownHostsFiles(): string[] {
  return [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
}

/** The name known_hosts files use for a host: the host alone on port 22, else `[host]:port`. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export type HostKeyCheck = { ok: true } | { ok: false; problem: string };

interface Entries {
  stamp: string;
  keys: Buffer[];
  revoked: Buffer[];
  missingTool?: boolean;
}

/** Entries per host name, read again when a known_hosts file changes. */
const cache = new Map<string, Entries>();

/**
 * Checks the host key an SSH server presented (wire format, as ssh2 hands it to `hostVerifier`) against
 * the known_hosts files, as OpenSSH with StrictHostKeyChecking would: a known key passes; an unknown host
 * or a different key is refused with a message that says what to do. `ssh-keygen -F` does the lookup, so
 * hashed entries and `[host]:port` names work as they do for ssh itself.
 */
export function checkHostKey(host: string, port: number, user: string, key: Buffer, files = knownHostsFiles()): HostKeyCheck {
  const name = knownHostsName(host, port);
  const entries = lookUp(name, files);
  if (entries.missingTool) {
    return { ok: false, problem: `cannot check the host key of ${name}: ssh-keygen is missing (install the OpenSSH client)` };
  }
  if (entries.revoked.some((k) => k.equals(key))) {
    return { ok: false, problem: `the host key of ${name} is marked @revoked in known_hosts` };
  }
  if (entries.keys.some((k) => k.equals(key))) return { ok: true };
  if (entries.keys.length === 0) {
    const command = `ssh ${port === 22 ? '' : `-p ${port} `}${user}@${host}`;
    return {
      ok: false,
      problem: `the host key of ${name} is not in ~/.ssh/known_hosts — connect once with \`${command}\` to check it and add it`,
    };
  }
  return {
    ok: false,
    problem:
      `the host key of ${name} does not match ~/.ssh/known_hosts: it was replaced, or someone is intercepting ` +
      `the connection — check it, then update known_hosts (ssh-keygen -R '${name}')`,
  };
}

function lookUp(name: string, files: string[]): Entries {
  const stamp = files.map(modified).join(',');
  const cached = cache.get(name);
  if (cached !== undefined && cached.stamp === stamp) return cached;
  const entries: Entries = { stamp, keys: [], revoked: [] };
  for (const file of files) {
    if (modified(file) === '-') continue;
    let found: string;
    try {
      found = execFileSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') {
        entries.missingTool = true;
        break;
      }
      continue; // exit status 1: no entry for this host in the file
    }
    for (const line of found.split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields[0] === '' || fields[0].startsWith('#')) continue;
      const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
      if (marker === '@cert-authority' || fields.length < 3) continue;
      (marker === '@revoked' ? entries.revoked : entries.keys).push(Buffer.from(fields[2], 'base64'));
    }
  }
  cache.set(name, entries);
  return entries;
}

function modified(file: string): string {
  try {
    return String(statSync(file).mtimeMs);
  } catch {
    return '-';
  }
}
