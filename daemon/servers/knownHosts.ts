import { createHash, createHmac } from 'node:crypto';

/** A key of an OpenSSH known_hosts file: its type and fingerprint as `ssh-keygen -lf` prints them. */
export interface KnownKey {
  type: string;
  fingerprint: string;
}

/** How OpenSSH names a host in known_hosts: `host` on port 22, else `[host]:port`. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * The keys known_hosts holds for `host`:`port`: plain names, comma-separated lists, `*` and `?`
 * patterns, negated patterns (`!name`, which exclude the line) and hashed names (`|1|salt|hash`, as
 * `HashKnownHosts yes` writes them). `@revoked` and `@cert-authority` lines are never trusted keys.
 */
export function knownKeysFor(text: string, host: string, port: number): KnownKey[] {
  const name = knownHostsName(host, port);
  const keys: KnownKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts, type, base64] = line.split(/\s+/);
    if (hosts === undefined || type === undefined || base64 === undefined) continue;
    if (!matches(hosts, name)) continue;
    const blob = Buffer.from(base64, 'base64');
    if (blob.length === 0) continue;
    keys.push({ type, fingerprint: `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}` });
  }
  return keys;
}

function matches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (glob(pattern.slice(1), name)) return false;
    } else if (glob(pattern, name)) matched = true;
  }
  return matched;
}

function glob(pattern: string, name: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(name);
}
