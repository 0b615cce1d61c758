/**
 * Retrieval of archives (10.5, 10.7) for the API and the CLI: list, describe, open and
 * verify an archived record; re-wrap every data key under the current master key (key
 * rotation). A re-wrap goes through a temporary file and a rename, as the creation did;
 * shredding (an erasure request) is archive-erasure.ts.
 */
import { createHash } from 'node:crypto';
import { rename, writeFile, open as openFile } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { parseSqlTimestamp } from '../db/sql-time.js';
import { parseHeader, rewrapHeader, type MasterKeys } from './archive-envelope.js';
import { readRegularFile } from '../security/regular-file.js';
import { verifyArchive, type ArchiveContents, type ArchiveType } from './record-archive.js';

export const ARCHIVE_TYPES: readonly ArchiveType[] = ['inscription', 'defense'];
const TABLES = { inscription: 'inscription_archive', defense: 'defense_archive' } as const;

export interface ArchiveSummary {
  readonly type: ArchiveType;
  readonly originalId: number;
  readonly archivedAt: string;
  readonly keyId: string;
  readonly sizeBytes: number;
  readonly documents: number;
  readonly shredded: boolean;
  /** ISO instant of the shred; null while the archive can be read. */
  readonly shreddedAt: string | null;
}

export interface ArchiveRecord extends ArchiveSummary {
  readonly path: string;
  readonly sha256: string;
  /** Empty once shredded: the row is erased. */
  readonly originalRow: Record<string, unknown>;
  readonly jobExecutionId: number | null;
}

type Row = BatchDb['inscription_archive'] & { id: number };

function summaryOf(type: ArchiveType, row: Omit<Row, 'id'>): ArchiveRecord {
  return {
    type,
    originalId: Number(row.original_id),
    archivedAt: new Date(`${String(row.archived_at).replace(' ', 'T')}Z`).toISOString(),
    keyId: row.key_id,
    sizeBytes: Number(row.size_bytes),
    documents: Number(row.documents_count),
    shredded: row.shredded_at !== null,
    shreddedAt: row.shredded_at === null ? null : parseSqlTimestamp(String(row.shredded_at)).toISOString(),
    path: row.archive_path,
    sha256: row.sha256,
    originalRow: JSON.parse(row.original_row) as Record<string, unknown>,
    jobExecutionId: row.job_execution_id === null ? null : Number(row.job_execution_id),
  };
}

export class ArchiveCatalog {
  constructor(private readonly db: Kysely<BatchDb>) {}

  async list(type: ArchiveType | undefined, page: number, size: number): Promise<{ total: number; items: ArchiveSummary[] }> {
    const types = type ? [type] : ARCHIVE_TYPES;
    const all: ArchiveSummary[] = [];
    let total = 0;
    for (const t of types) {
      const count = await this.db.selectFrom(TABLES[t]).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      total += Number(count.n);
    }
    // Newest first across both tables: each contributes at most a page's worth past the offset.
    for (const t of types) {
      const rows = await this.db.selectFrom(TABLES[t]).selectAll().orderBy('archived_at', 'desc').orderBy('id', 'desc').limit((page + 1) * size).execute();
      all.push(...rows.map((r) => summaryOf(t, r)));
    }
    all.sort((a, b) => b.archivedAt.localeCompare(a.archivedAt) || b.originalId - a.originalId);
    return { total, items: all.slice(page * size, (page + 1) * size).map(({ type: t, originalId, archivedAt, keyId, sizeBytes, documents, shredded, shreddedAt }) => ({ type: t, originalId, archivedAt, keyId, sizeBytes, documents, shredded, shreddedAt })) };
  }

  async get(type: ArchiveType, originalId: number): Promise<ArchiveRecord | undefined> {
    const row = await this.db.selectFrom(TABLES[type]).selectAll().where('original_id', '=', originalId).executeTakeFirst();
    return row && summaryOf(type, row);
  }

  async all(): Promise<ArchiveRecord[]> {
    const out: ArchiveRecord[] = [];
    for (const t of ARCHIVE_TYPES) out.push(...(await this.db.selectFrom(TABLES[t]).selectAll().orderBy('id').execute()).map((r) => summaryOf(t, r)));
    return out;
  }

  /** Decrypts and checks the whole archive: its recorded hash, every document against its manifest. */
  async open(record: ArchiveRecord, keys: MasterKeys): Promise<ArchiveContents> {
    return verifyArchive(record.path, keys, { sha256: record.sha256 });
  }

  /**
   * Re-wraps the data key of every archive not under the current master key: the file's
   * header is rewritten through a temporary file and a rename, then its row updated.
   * Returns the archives re-wrapped. Afterwards the old keys can leave ARCHIVE_KEYS.
   */
  async rewrap(keys: MasterKeys): Promise<ArchiveRecord[]> {
    const done: ArchiveRecord[] = [];
    for (const record of await this.all()) {
      if (record.shredded || record.keyId === keys.current.id) continue;
      const bytes = await readRegularFile(record.path);
      const header = parseHeader(bytes);
      if (!header) throw new Error(`archive ${record.path}: no header`);
      const rewritten = Buffer.concat([rewrapHeader(header, keys, keys.current).bytes, bytes.subarray(header.bytes.length)]);
      await replaceFile(record.path, rewritten);
      await this.db
        .updateTable(TABLES[record.type])
        .set({ key_id: keys.current.id, sha256: createHash('sha256').update(rewritten).digest('hex'), size_bytes: rewritten.length })
        .where('original_id', '=', record.originalId)
        .execute();
      done.push({ ...record, keyId: keys.current.id });
    }
    return done;
  }
}

/** What the API and the command line say of a shredded archive. */
export function shreddedDetail(record: Pick<ArchiveRecord, 'type' | 'originalId' | 'shreddedAt'>): string {
  return `the archive of ${record.type} ${record.originalId} was shredded on ${record.shreddedAt} (an erasure request): its documents and its row are erased and can never be read again`;
}

async function replaceFile(file: string, bytes: Buffer): Promise<void> {
  const temporary = `${file}.tmp`;
  await writeFile(temporary, bytes);
  const handle = await openFile(temporary, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}
