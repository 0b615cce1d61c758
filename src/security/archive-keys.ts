/**
 * The archive master keys (4.10, 10.4): `ARCHIVE_KEYS` or the file `ARCHIVE_KEY_FILE`
 * (same format, refused unless only its owner can read it), a list `keyId:base64key` of
 * 32-byte keys; the first is current, the others open older archives until they are
 * re-wrapped (`batch-service archive rewrap`). Missing or malformed keys refuse archiveJob's
 * launch, naming the variable; other jobs do not need them.
 */
import { readFileSync, statSync } from 'node:fs';
import { JobParametersInvalidError } from '../engine/errors.js';
import type { MasterKey, MasterKeys } from './archive-envelope.js';

export class ArchiveKeyError extends JobParametersInvalidError {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveKeyError';
  }
}

const FORMAT = 'ARCHIVE_KEYS=keyId:base64 (32 bytes), several separated by commas, the current one first';

export function loadArchiveKeys(settings: { readonly archiveKeys?: string; readonly archiveKeyFile?: string }): MasterKeys {
  let text = settings.archiveKeys;
  let source = 'ARCHIVE_KEYS';
  if (text === undefined && settings.archiveKeyFile !== undefined) {
    source = `ARCHIVE_KEY_FILE (${settings.archiveKeyFile})`;
    const mode = statSync(settings.archiveKeyFile).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new ArchiveKeyError(`archiveJob: ${source} can be read by others (mode ${mode.toString(8)}); chmod 600 it`);
    }
    text = readFileSync(settings.archiveKeyFile, 'utf8').trim();
  }
  if (text === undefined || text === '') throw new ArchiveKeyError(`archiveJob: no archive key configured; set ${FORMAT}, or ARCHIVE_KEY_FILE`);
  const keys: MasterKey[] = [];
  for (const entry of text.split(/[,\n]/).map((e) => e.trim()).filter((e) => e !== '')) {
    const at = entry.indexOf(':');
    const id = entry.slice(0, at);
    const encoded = entry.slice(at + 1);
    const key = Buffer.from(encoded, 'base64');
    if (at < 1 || !/^[\x21-\x39\x3b-\x7e]{1,64}$/.test(id) || !/^[A-Za-z0-9+/]{43}=?$/.test(encoded) || key.length !== 32) {
      throw new ArchiveKeyError(`archiveJob: ${source} has an entry that is not keyId:base64 of 32 bytes (id ${JSON.stringify(id.slice(0, 20))}); expected ${FORMAT}`);
    }
    if (keys.some((k) => k.id === id)) throw new ArchiveKeyError(`archiveJob: ${source} names key "${id}" twice`);
    keys.push({ id, key });
  }
  return { current: keys[0]!, byId: new Map(keys.map((k) => [k.id, k])) };
}
