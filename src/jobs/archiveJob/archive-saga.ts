/**
 * The per-record saga of archiveJob (4.3, 4.5, 4.11). Its order is what makes every
 * crash, kill, full disk or bad file harmless: nothing is deleted before its archive is
 * durable, verified and recorded.
 *   1. build the archive under a temporary name, flush, rename, flush the directory,
 *      decrypt it and compare every document with the original (record-archive.ts);
 *   2. insert the archive row (original id unique: once, whatever the retries);
 *   3. set `archived = true`, guarded by `archived = false`;
 *   4. the audit entry, when step 3 changed the row (a replay writes none);
 *   5. delete the original files (their document rows stay: they index the archive);
 *   6. mark the row complete (`completed_at`).
 * A re-run finishes what a crash left: the readers bring back every record whose row is
 * not complete, flagged or not; its file is verified, then 3–6; a file without a row is
 * rebuilt (step 1 overwrites it). The lease is checked before each step that changes
 * something.
 */
import { unlink } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { DatabaseHandle } from '../../db/connect.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { BatchDb } from '../../db/schema/batch-tables.js';
import { sqlTimestampMillis } from '../../db/sql-time.js';
import type { StepRunContext } from '../../engine/types.js';
import type { MasterKeys } from '../../security/archive-envelope.js';
import type { AuditLog } from '../../security/audit-log.js';
import { buildArchive, documentFile, verifyArchive, type ArchiveType, type RecordToArchive, type SagaBoundary } from './record-archive.js';

export interface SagaDeps {
  readonly batch: DatabaseHandle<BatchDb>;
  readonly audit: AuditLog;
  readonly uploadsDir: string;
  readonly archivesDir: string;
  /** Read once per step, not per record: with ARCHIVE_KEY_FILE each read is a stat and a file read. */
  readonly keys: MasterKeys;
  /** Sets the sibling row's `archived` flag, guarded; true when it changed it. */
  markArchived(originalId: number): Promise<boolean>;
  /** Called between the saga's steps (fault-injection tests only). */
  readonly boundary?: (at: SagaBoundary) => void;
}

const TABLES: Readonly<Record<ArchiveType, 'inscription_archive' | 'defense_archive'>> = { inscription: 'inscription_archive', defense: 'defense_archive' };

export async function archiveRecord(record: RecordToArchive, deps: SagaDeps, ctx: StepRunContext): Promise<void> {
  const boundary = deps.boundary ?? (() => undefined);
  const table = TABLES[record.type];
  const db = deps.batch.db as Kysely<BatchDb>;
  const { keys } = deps;
  const recorded = () => db.selectFrom(table).selectAll().where('original_id', '=', record.originalId).executeTakeFirst();
  let row = await recorded();
  if (row) {
    // Recorded by an earlier attempt: its file must still be there and whole before anything goes.
    await verifyArchive(row.archive_path, keys, { sha256: row.sha256 });
  } else {
    ctx.checkLease();
    const archivedAt = new Date();
    const built = await buildArchive(record, deps, keys, archivedAt, boundary);
    ctx.checkLease();
    try {
      await db
        .insertInto(table)
        .values({
          original_id: record.originalId,
          original_row: JSON.stringify(record.row),
          archive_path: built.path,
          size_bytes: built.sizeBytes,
          sha256: built.sha256,
          documents_count: built.documents.length,
          documents_bytes: built.documents.reduce((sum, d) => sum + d.size, 0),
          key_id: built.keyId,
          archived_at: sqlTimestampMillis(archivedAt),
          job_execution_id: ctx.jobExecutionId,
          completed_at: null,
          shredded_at: null,
        })
        .execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    row = await recorded();
    if (!row) throw new Error(`${table}: the row of ${record.originalId} vanished after its insert`);
    boundary('row-inserted');
  }
  ctx.checkLease();
  const flagged = await deps.markArchived(record.originalId);
  boundary('flagged');
  if (flagged) {
    await deps.audit.append({
      action: 'ARCHIVE_CREATE',
      actor: null,
      target: `${record.type}#${record.originalId}`,
      details: { archive: row.archive_path, sizeBytes: Number(row.size_bytes), documents: Number(row.documents_count), keyId: row.key_id, jobExecutionId: ctx.jobExecutionId },
    });
  }
  for (const [i, chemin] of record.chemins.entries()) {
    ctx.checkLease();
    const file = await documentFile(deps.uploadsDir, chemin).catch(() => undefined);
    if (file) await unlink(file).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
    if (i === 0) boundary('first-file-deleted');
  }
  ctx.checkLease();
  await db.updateTable(table).set({ completed_at: sqlTimestampMillis(new Date()) }).where('original_id', '=', record.originalId).where('completed_at', 'is', null).execute();
}
