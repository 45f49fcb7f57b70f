import { linkSync, unlinkSync, writeFileSync } from 'node:fs';
import { errnoCode } from './errors';

/**
 * Creates `file` holding `content`, or returns false when it already exists. Readers never see
 * the file empty or half written: the content goes to a private temporary file first, which is
 * then hard-linked into place (link fails atomically when the name is taken).
 */
export function createFileExclusive(file: string, content: string, mode: number): boolean {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, content, { mode, flag: 'wx' });
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}
