/**
 * The saga of archiveJob (4.3, 4.5, 4.11), run on a chunk of records phase by phase. Its
 * order is what makes every crash, kill, full disk or bad file harmless: nothing is
 * deleted before its archive is durable, verified and recorded.
 *   1. each record's archive is built under a temporary name, flushed, renamed, its
 *      directory flushed, then decrypted and compared with the originals
 *      (src/archives/record-archive.ts); a record already recorded has its file verified instead;
 *   2. the archive rows, one insert (original id unique: once, whatever the retries);
 *   3. `archived = true` on the sibling rows, one update guarded by `archived = false`;
 *   4. the original files deleted (their document rows stay: they index the archive);
 *   5. the rows marked complete (`completed_at`) and one audit entry per row that this
 *      marks, in one transaction: the audit entry cannot be lost nor written twice.
 * Each phase is durable before the next begins, and each is one transaction per chunk,
 * not per record: on MariaDB every commit is a log flush, which per record cost more
 * than the encryption. A re-run finishes what a crash left: the readers bring back every
 * record whose row is not complete, flagged or not; its file is verified, then 3–5; a
 * file without a row is rebuilt (phase 1 overwrites it). The lease is checked before each
 * phase that changes something.
 */
import { unlink } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { DatabaseHandle } from '../../db/connect.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { BatchDb } from '../../db/schema/batch-tables.js';
import { sqlTimestampMillis } from '../../db/sql-time.js';
import type { StepRunContext } from '../../engine/types.js';
import type { MasterKeys } from '../../archives/archive-envelope.js';
import type { AuditLog } from '../../security/audit-log.js';
import { buildArchive, documentFile, verifyArchive, type ArchiveType, type RecordToArchive, type SagaBoundary } from '../../archives/record-archive.js';

export interface SagaDeps {
  readonly batch: DatabaseHandle<BatchDb>;
  readonly audit: AuditLog;
  readonly uploadsDir: string;
  readonly archivesDir: string;
  /** Read once per step, not per record: with ARCHIVE_KEY_FILE each read is a stat and a file read. */
  readonly keys: MasterKeys;
  /** Sets the sibling rows' `archived` flag, guarded by `archived = false`. */
  markArchived(originalIds: readonly number[]): Promise<void>;
  /** Called between the saga's phases (fault-injection tests only). */
  readonly boundary?: (at: SagaBoundary) => void;
}

/**
 * Archives built at once. Deflate runs on libuv's threads, AES-GCM and hashing on the main
 * one, and each archive waits on two fsyncs: two builds overlap those on two cores.
 */
const BUILDS_AT_ONCE = 2;

const TABLES: Readonly<Record<ArchiveType, 'inscription_archive' | 'defense_archive'>> = { inscription: 'inscription_archive', defense: 'defense_archive' };

/** Archives `records`, all of one type. An unarchivable record throws before anything of the chunk is recorded. */
export async function archiveRecords(type: ArchiveType, records: readonly RecordToArchive[], deps: SagaDeps, ctx: StepRunContext): Promise<void> {
  if (records.length === 0) return;
  const boundary = deps.boundary ?? (() => undefined);
  const table = TABLES[type];
  const db = deps.batch.db as Kysely<BatchDb>;
  const ids = records.map((r) => r.originalId);
  const recorded = async () => new Map((await db.selectFrom(table).selectAll().where('original_id', 'in', ids).execute()).map((row) => [Number(row.original_id), row]));

  // 1. Recorded by an earlier attempt: its file must still be there and whole before anything goes.
  const earlier = await recorded();
  const built = (
    await inParallel(records, BUILDS_AT_ONCE, async (record) => {
      const row = earlier.get(record.originalId);
      if (row) {
        await verifyArchive(row.archive_path, deps.keys, { sha256: row.sha256 });
        return undefined;
      }
      ctx.checkLease();
      const archivedAt = new Date();
      return { record, archivedAt, archive: await buildArchive(record, deps, deps.keys, archivedAt, boundary) };
    })
  ).filter((b) => b !== undefined);

  // 2.
  if (built.length > 0) {
    ctx.checkLease();
    const values = built.map(({ record, archivedAt, archive }) => ({
      original_id: record.originalId,
      original_row: JSON.stringify(record.row),
      archive_path: archive.path,
      size_bytes: archive.sizeBytes,
      sha256: archive.sha256,
      documents_count: archive.documents.length,
      documents_bytes: archive.documents.reduce((sum, d) => sum + d.size, 0),
      key_id: archive.keyId,
      archived_at: sqlTimestampMillis(archivedAt),
      job_execution_id: ctx.jobExecutionId,
      completed_at: null,
      shredded_at: null,
    }));
    await db
      .insertInto(table)
      .values(values)
      .execute()
      .catch(async (error: unknown) => {
        // Only a run that lost its lease could have inserted some of them meanwhile: keep theirs.
        if (!isUniqueViolation(error)) throw error;
        for (const value of values) await db.insertInto(table).values(value).execute().catch((e: unknown) => (isUniqueViolation(e) ? undefined : Promise.reject(e)));
      });
    boundary('row-inserted');
  }
  const rows = await recorded();
  const missing = ids.filter((id) => !rows.has(id));
  if (missing.length > 0) throw new Error(`${table}: the rows of ${missing.join(', ')} vanished after their insert`);

  // 3.
  ctx.checkLease();
  await deps.markArchived(ids);
  boundary('flagged');

  // 4.
  let deleted = 0;
  for (const record of records) {
    for (const chemin of record.chemins) {
      ctx.checkLease();
      const file = await documentFile(deps.uploadsDir, chemin).catch(() => undefined);
      if (file) await unlink(file).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
      if (deleted++ === 0) boundary('first-file-deleted');
    }
  }

  // 5.
  ctx.checkLease();
  await deps.audit.appendWith(async (trx) => {
    const open = await trx.selectFrom(table).selectAll().where('original_id', 'in', ids).where('completed_at', 'is', null).execute();
    if (open.length === 0) return [];
    await trx
      .updateTable(table)
      .set({ completed_at: sqlTimestampMillis(new Date()) })
      .where('original_id', 'in', open.map((row) => row.original_id))
      .where('completed_at', 'is', null)
      .execute();
    return open.map((row) => ({
      action: 'ARCHIVE_CREATE' as const,
      actor: null,
      target: `${type}#${Number(row.original_id)}`,
      details: { archive: row.archive_path, sizeBytes: Number(row.size_bytes), documents: Number(row.documents_count), keyId: row.key_id, jobExecutionId: ctx.jobExecutionId },
    }));
  });
}

/**
 * `work` over `items`, at most `width` at a time, results in the items' order. After a
 * failure no new item starts, and the error is thrown only once every started one has
 * settled: nothing of this chunk keeps writing after its write has failed.
 */
async function inParallel<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  if (failure) throw failure.error;
  return results;
}
