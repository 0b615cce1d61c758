/**
 * The archive master keys (4.10, 10.4): `ARCHIVE_KEYS` or the file `ARCHIVE_KEY_FILE`
 * (same format), a list `keyId:base64key` of 32-byte keys; the first is current, the
 * others open older archives until they are re-wrapped (`batch-service archive rewrap`).
 *
 * Checked twice: at start (`archiveKeysProblem`, from the configuration), so a wrong value
 * stops every command at once instead of failing the quarterly run three months later;
 * and at each archiveJob step (`loadArchiveKeys`), because a mounted key file can be
 * rotated while the service runs. No key at all is not an error at start — the service
 * has four other jobs — but archiveJob's launch is refused and health shows it
 * (`archiveKeysIndicator`).
 */
import { readFileSync, statSync } from 'node:fs';
import { JobParametersInvalidError } from '../engine/errors.js';
import type { HealthIndicator } from '../observability/health.js';
import type { MasterKey, MasterKeys } from './archive-envelope.js';

export class ArchiveKeyError extends JobParametersInvalidError {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveKeyError';
  }
}

export interface ArchiveKeySettings {
  readonly archiveKeys?: string;
  readonly archiveKeyFile?: string;
}

const FORMAT = 'keyId:base64 (32 bytes), several separated by commas, the current one first';

/** The keys, read now (the file is read again at each call); throws ArchiveKeyError naming the variable. */
export function loadArchiveKeys(settings: ArchiveKeySettings): MasterKeys {
  if (settings.archiveKeys !== undefined) return parseArchiveKeys(settings.archiveKeys, 'ARCHIVE_KEYS=****');
  if (settings.archiveKeyFile !== undefined) {
    const source = `ARCHIVE_KEY_FILE=${JSON.stringify(settings.archiveKeyFile)}`;
    return parseArchiveKeys(readKeyFile(settings.archiveKeyFile, source), source);
  }
  throw new ArchiveKeyError('archiveJob: no archive key configured; set ARCHIVE_KEYS or ARCHIVE_KEY_FILE');
}

/** What is wrong with the configured keys, for the start-up check; undefined when they are usable or unset. */
export function archiveKeysProblem(settings: ArchiveKeySettings): string | undefined {
  if (settings.archiveKeys === undefined && settings.archiveKeyFile === undefined) return undefined;
  try {
    loadArchiveKeys(settings);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * A secret volume mounted for a non-root user is typically 0440 or 0640, group-readable:
 * accepted. Group-writable or readable by anyone is not, nor a file some other user owns
 * (they could swap the keys under us).
 */
function readKeyFile(file: string, source: string): string {
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    throw new ArchiveKeyError(`${source}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!stats.isFile()) throw new ArchiveKeyError(`${source}: expected a regular file`);
  const mode = stats.mode & 0o777;
  if ((mode & 0o027) !== 0) {
    throw new ArchiveKeyError(`${source}: mode ${mode.toString(8).padStart(4, '0')} lets others read or change it; expected 0600, 0400, 0640 or 0440 (chmod 600 it)`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid && stats.uid !== 0) {
    throw new ArchiveKeyError(`${source}: owned by uid ${stats.uid}; expected the service's user (uid ${uid}) or root`);
  }
  return readFileSync(file, 'utf8');
}

function parseArchiveKeys(text: string, source: string): MasterKeys {
  const keys: MasterKey[] = [];
  for (const entry of text.split(/[,\n]/).map((e) => e.trim()).filter((e) => e !== '')) {
    const at = entry.indexOf(':');
    const id = entry.slice(0, at);
    const encoded = entry.slice(at + 1);
    const key = Buffer.from(encoded, 'base64');
    if (at < 1 || !/^[\x21-\x39\x3b-\x7e]{1,64}$/.test(id) || !/^[A-Za-z0-9+/]{43}=?$/.test(encoded) || key.length !== 32) {
      // The id is safe to show; the key is not, not even its beginning.
      throw new ArchiveKeyError(`${source}: an entry is not keyId:base64 of 32 bytes (id ${JSON.stringify(at < 1 ? '' : id.slice(0, 20))}); expected ${FORMAT}`);
    }
    if (keys.some((k) => k.id === id)) throw new ArchiveKeyError(`${source}: names key "${id}" twice; expected ${FORMAT}`);
    keys.push({ id, key });
  }
  if (keys.length === 0) throw new ArchiveKeyError(`${source}: holds no key; expected ${FORMAT}`);
  return { current: keys[0]!, byId: new Map(keys.map((k) => [k.id, k])) };
}

/**
 * Health's `archiveKeys` component: DOWN when archiveJob could not run now (no key, or a
 * key file that has since become unreadable), so the gap shows the day it appears.
 * Details name the current key's id and the source, never a key.
 */
export function archiveKeysIndicator(settings: ArchiveKeySettings): HealthIndicator {
  return {
    name: 'archiveKeys',
    async check() {
      const source = settings.archiveKeys !== undefined ? 'ARCHIVE_KEYS' : settings.archiveKeyFile !== undefined ? 'ARCHIVE_KEY_FILE' : 'none';
      try {
        const keys = loadArchiveKeys(settings);
        return { status: 'UP', details: { source, currentKeyId: keys.current.id, keys: keys.byId.size } };
      } catch (error) {
        return { status: 'DOWN', details: { source, error: `${(error as Error).message}; archiveJob cannot run` } };
      }
    },
  };
}
