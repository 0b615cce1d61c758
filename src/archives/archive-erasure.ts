/**
 * `archive shred` (issue 22, item 2): an erasure request honoured, not only the archive
 * made unreadable. In order, each step safe to run again:
 *   1. the archive's wrapped data key is overwritten with zeros in the file itself (not a
 *      new file renamed over it, whose old blocks would keep the key on the disk);
 *   2. one batchdb transaction: the archive row keeps only what identifies it (type, id,
 *      dates, key id, file, sizes, `shredded_at`), its `original_row` becomes `{}`; the
 *      record's document names elsewhere in batchdb become ERASED (archiveJob's skipped
 *      items, dataConsistencyJob's FICHIER_MANQUANT anomalies and their outbox events);
 *      and the ARCHIVE_SHRED audit entry — who, when, what was erased — commits with it;
 *   3. on SQLite, the bytes themselves: batchdb's connection runs with `secure_delete`
 *      (db/connect.ts), so what the update freed is zeroed in its page, and a
 *      `wal_checkpoint(TRUNCATE)` then copies those pages into the file and empties the
 *      WAL, whose older frames still hold the row as it was inserted.
 * On MariaDB step 3 has no equivalent: InnoDB keeps the old row version in its undo log
 * until purge, and old page images in its redo log, binary log and backups
 * (docs/operations.md says what that means).
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DatabaseHandle } from '../db/connect.js';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { parseSqlTimestamp, sqlTimestampMillis } from '../db/sql-time.js';
import type { Json } from '../engine/types.js';
import { MAX_HEADER_LENGTH, parseHeader, shreddedHeader } from './archive-envelope.js';
import type { AuditLog } from '../security/audit-log.js';
import { NotARegularFileError, openRegularFile } from '../security/regular-file.js';
import type { ArchiveRecord } from './archive-catalog.js';
import type { ArchiveType } from './record-archive.js';

/** What replaces an erased document name. */
export const ERASED = '[effacé]';

/** What an erased archive row's `original_row` holds: nothing of the row (the column is NOT NULL). */
export const ERASED_ROW = '{}';

const TABLES = { inscription: 'inscription_archive', defense: 'defense_archive' } as const;
/** archiveJob's step per type, whose skipped items name the record's documents. */
const ARCHIVE_STEPS: Readonly<Record<ArchiveType, string>> = { inscription: 'archiveEnrollmentsStep', defense: 'archiveDefensesStep' };
/** How dataConsistencyJob names a missing document of a record (document-checks.ts). */
const MISSING_FILE: Readonly<Record<ArchiveType, { entity: string; owner: string }>> = {
  inscription: { entity: 'document', owner: 'inscriptionId' },
  defense: { entity: 'soutenance_document', owner: 'soutenanceId' },
};

export interface Shredder {
  readonly batch: DatabaseHandle<BatchDb>;
  readonly audit: AuditLog;
}

export interface ShredRequest {
  /** Who asks: the operating-system account for the command line. */
  readonly actor: string;
  readonly clientAddress: string | null;
}

export interface ShredOutcome {
  /** When the archive was first shredded (a second shred keeps the first date). */
  readonly shreddedAt: Date;
  readonly alreadyShredded: boolean;
  /** The archive file was not there: the record was erased from batchdb all the same. */
  readonly fileMissing: boolean;
  /** Rows of batchdb whose content of this record was replaced now. */
  readonly erased: { readonly skippedItems: number; readonly anomalies: number; readonly events: number };
  /** SQLite: the WAL was emptied after the erasure; false when another connection kept it busy; null on MariaDB. */
  readonly walEmptied: boolean | null;
}

/** Shreds an archive and erases what batchdb holds of its record, audited in the same transaction. */
export async function shredArchive(deps: Shredder, record: ArchiveRecord, request: ShredRequest, now: () => Date = () => new Date()): Promise<ShredOutcome> {
  // A lost file holds no key to destroy, and the record must still be erased. Anything else
  // in its place (a link, a FIFO) is refused: the catalogue would call shredded an archive
  // whose key may still exist wherever the link leads.
  const destroyed = await destroyDataKey(record.path).catch((error: unknown) => {
    if (error instanceof NotARegularFileError && error.missing) return undefined;
    throw error;
  });
  const sha256 = destroyed ?? record.sha256;
  const table = TABLES[record.type];
  const target = `${record.type}#${record.originalId}`;
  let outcome: Omit<ShredOutcome, 'walEmptied'> | undefined;
  await deps.audit.appendWith(async (trx) => {
    const row = await trx.selectFrom(table).select('shredded_at').where('original_id', '=', record.originalId).executeTakeFirst();
    if (!row) throw new Error(`the archive row of ${record.type} ${record.originalId} vanished while it was shredded`);
    const shreddedAt = row.shredded_at === null ? now() : parseSqlTimestamp(row.shredded_at);
    await trx
      .updateTable(table)
      .set({ original_row: ERASED_ROW, shredded_at: sqlTimestampMillis(shreddedAt), sha256 })
      .where('original_id', '=', record.originalId)
      .execute();
    const erased = await eraseDocumentNames(trx, record.type, record.originalId);
    outcome = { shreddedAt, alreadyShredded: row.shredded_at !== null, fileMissing: destroyed === undefined, erased };
    return [
      {
        action: 'ARCHIVE_SHRED',
        actor: request.actor,
        clientAddress: request.clientAddress,
        target,
        details: {
          archive: record.path,
          keyId: record.keyId,
          shreddedAt: shreddedAt.toISOString(),
          again: row.shredded_at !== null,
          fileMissing: destroyed === undefined,
          erased: { originalRow: true, ...erased },
        },
      },
    ];
  });
  return { ...outcome!, walEmptied: await emptyWal(deps.batch) };
}

/** Zeros the wrapped data key in place, flushed; returns the SHA-256 of the file as it now is. */
async function destroyDataKey(file: string): Promise<string> {
  const { handle } = await openRegularFile(file, { write: true });
  try {
    const start = Buffer.alloc(MAX_HEADER_LENGTH);
    const { bytesRead } = await handle.read(start, 0, start.length, 0);
    const header = parseHeader(start.subarray(0, bytesRead));
    if (!header) throw new Error(`archive ${file}: no header`);
    const shredded = shreddedHeader(header);
    await handle.write(shredded.bytes, 0, shredded.bytes.length, 0);
    await handle.sync();
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ start: 0, autoClose: false })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/**
 * The record's document names wherever batchdb copied them. Found by the record's
 * identity (its type and id), then checked parsed: a LIKE only narrows the rows read.
 */
async function eraseDocumentNames(trx: Kysely<BatchDb>, type: ArchiveType, originalId: number): Promise<ShredOutcome['erased']> {
  const names = new Set<string>();

  // archiveJob's skipped items: `{"type":…,"originalId":…,"documents":[chemins]}`, the reason naming one.
  const itemStart = `{"type":${JSON.stringify(type)},"originalId":${originalId}`;
  const skips = (await trx.selectFrom('batch_step_skip').select(['id', 'item', 'reason']).where('step_name', '=', ARCHIVE_STEPS[type]).where('item', 'like', `${itemStart}%`).execute()).filter(
    (s) => s.item.startsWith(`${itemStart},`) || s.item === `${itemStart}}`,
  );
  for (const skip of skips) {
    // Items are cut at 4000 characters: a long list no longer parses, and is erased whole.
    const documents = parsed(skip.item)?.documents;
    if (Array.isArray(documents)) for (const d of documents) if (typeof d === 'string') names.add(d);
  }

  // dataConsistencyJob's missing documents of this record, and the events that announced them.
  const { entity, owner } = MISSING_FILE[type];
  const ownedBy = (details: unknown) => isObject(details) && details[owner] === originalId;
  const anomalies = (
    await trx.selectFrom('consistency_anomaly').select(['id', 'details']).where('type', '=', 'FICHIER_MANQUANT').where('entity', '=', entity).where('details', 'like', `%"${owner}":${originalId}%`).execute()
  ).filter((a) => ownedBy(parsed(a.details)));
  for (const anomaly of anomalies) {
    const chemin = parsed(anomaly.details)?.chemin;
    if (typeof chemin === 'string') names.add(chemin);
  }
  const events = (
    await trx
      .selectFrom('event_outbox')
      .select(['id', 'payload'])
      .where('event_type', '=', 'CONSISTENCY_ANOMALY')
      .where('payload', 'like', '%"FICHIER_MANQUANT"%')
      .where('payload', 'like', `%"${owner}":${originalId}%`)
      .execute()
  ).filter((e) => {
    const payload = parsed(e.payload);
    return payload?.anomalyType === 'FICHIER_MANQUANT' && payload.entity === entity && ownedBy(payload.details);
  });
  for (const event of events) {
    const chemin = (parsed(event.payload)?.details as Record<string, unknown> | undefined)?.chemin;
    if (typeof chemin === 'string') names.add(chemin);
  }

  // Only rows that change are written and counted: a second shred finds them erased already.
  const erase = (text: string) => JSON.stringify(redact(parsed(text) ?? {}, names));
  let skippedItems = 0;
  for (const skip of skips) {
    const documents = parsed(skip.item)?.documents;
    const item = JSON.stringify({ type, originalId, documents: Array.isArray(documents) ? documents.map(() => ERASED) : ERASED });
    const reason = redactReason(skip.reason, names);
    if (item === skip.item && reason === skip.reason) continue;
    await trx.updateTable('batch_step_skip').set({ item, reason }).where('id', '=', skip.id).execute();
    skippedItems++;
  }
  let erasedAnomalies = 0;
  for (const anomaly of anomalies) {
    const details = erase(anomaly.details);
    if (details === anomaly.details) continue;
    await trx.updateTable('consistency_anomaly').set({ details }).where('id', '=', anomaly.id).execute();
    erasedAnomalies++;
  }
  let erasedEvents = 0;
  for (const event of events) {
    const payload = erase(event.payload);
    if (payload === event.payload) continue;
    await trx.updateTable('event_outbox').set({ payload }).where('id', '=', event.id).execute();
    erasedEvents++;
  }
  return { skippedItems, anomalies: erasedAnomalies, events: erasedEvents };
}

/** Every string that is or contains one of `names`, with each of them replaced by ERASED. */
function redact(value: Json, names: ReadonlySet<string>): Json {
  if (typeof value === 'string') return redactText(value, names);
  if (Array.isArray(value)) return value.map((v) => redact(v, names));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, names)]));
  return value;
}

function redactText(text: string, names: ReadonlySet<string>): string {
  let out = text;
  // Longest first: a name that contains another is replaced whole.
  for (const name of [...names].sort((a, b) => b.length - a.length)) if (name !== '') out = out.split(name).join(ERASED);
  return out;
}

/**
 * A skip's reason quotes one document (record-archive.ts: `document "…" is missing`),
 * possibly one the cut item no longer lists: the quoted name goes whatever it is.
 */
function redactReason(reason: string, names: ReadonlySet<string>): string {
  return redactText(reason, names).replace(/^document "[\s\S]*" (?=is missing|cannot be read|leaves UPLOADS_DIR|lies behind|is a symbolic link|is not a regular file)/, `document "${ERASED}" `);
}

/** SQLite: moves every page into the file and empties the WAL; true when it could. */
async function emptyWal(batch: DatabaseHandle<BatchDb>): Promise<boolean | null> {
  if (batch.dialect !== 'sqlite') return null;
  // Waits (busy timeout) for readers that still use older frames; `busy` says it gave up.
  const { rows } = await sql<{ busy: number; log: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(batch.db);
  return rows[0]?.busy === 0;
}

function parsed(text: string): Record<string, Json> | undefined {
  try {
    const value = JSON.parse(text) as Json;
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
