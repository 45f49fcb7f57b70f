import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { errnoCode } from '../errors';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'v1:';

/** Encrypts values at rest with AES-256-GCM under the key in `$CRONIUM_HOME/master.key`. */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Loads the master key, creating it (mode 0600) on first use. */
  static open(keyFile: string): SecretBox {
    try {
      const fd = openSync(keyFile, 'wx', 0o600);
      writeSync(fd, randomBytes(KEY_BYTES).toString('base64'));
      closeSync(fd);
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new Error(`${keyFile} does not hold a ${KEY_BYTES}-byte key; restore it from a backup`);
    }
    return new SecretBox(key);
  }

  /** A key for another purpose (e.g. signing execution tokens), derived from the master key. */
  deriveKey(purpose: string): Uint8Array {
    return new Uint8Array(hkdfSync('sha256', this.key, Buffer.alloc(0), `cronium:${purpose}`, KEY_BYTES));
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error('Unknown secret format');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
