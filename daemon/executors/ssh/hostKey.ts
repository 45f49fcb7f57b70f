import { createHash } from 'node:crypto';

/** A host key as a server shows it: its type and fingerprint as OpenSSH prints them. */
export interface HostKey {
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa` … (the first field of the key blob). */
  type: string;
  /** `SHA256:` and the unpadded base64 of the SHA-256 of the key blob, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

/** The fingerprint and type of a public key blob (SSH wire format, as ssh2's hostVerifier gets it). */
export function hostKeyOf(blob: Buffer): HostKey {
  return { type: keyTypeOf(blob), fingerprint: fingerprintOf(blob) };
}

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return 'unknown';
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** True when `text` has the form of an OpenSSH SHA-256 fingerprint. */
export function isFingerprint(text: string): boolean {
  return /^SHA256:[A-Za-z0-9+/]{43}$/.test(text);
}
