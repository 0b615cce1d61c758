/**
 * `inscription_archive` and `defense_archive` (docs/databases.md, 4.3, 4.5): one row per
 * archived record, its original id unique — the record's archive exists once whatever
 * the retries — with the full original row, where its encrypted archive is, how big, its
 * SHA-256, how many documents and their bytes (freed once deleted), under which master
 * key, when and by which execution.
 * `completed_at` is set once the record is flagged and its original files deleted: a row
 * without it is a saga a crash interrupted, which the next run finishes.
 * `shredded_at` is set when the archive's data key was destroyed (an erasure request).
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  for (const table of ['inscription_archive', 'defense_archive']) {
    await db.schema
      .createTable(table)
      .addColumn('id', t.id, t.autoId)
      .addColumn('original_id', t.bigint, (c) => c.notNull().unique())
      .addColumn('original_row', t.text, (c) => c.notNull())
      .addColumn('archive_path', t.varchar(500), (c) => c.notNull())
      .addColumn('size_bytes', t.bigint, (c) => c.notNull())
      .addColumn('sha256', t.varchar(64), (c) => c.notNull())
      .addColumn('documents_count', 'integer', (c) => c.notNull())
      .addColumn('documents_bytes', t.bigint, (c) => c.notNull())
      .addColumn('key_id', t.varchar(64), (c) => c.notNull())
      .addColumn('archived_at', t.timestamp, (c) => c.notNull())
      .addColumn('job_execution_id', t.bigint)
      .addColumn('completed_at', t.timestamp)
      .addColumn('shredded_at', t.timestamp)
      .execute();
  }
}
