/**
 * Issue 23: run-protocol writes that can be retried after a lost acknowledgement, and an
 * end of run that carries its failure notice.
 *
 * - `batch_step_skip.skip_key`: a key drawn once per skip, before the first attempt, and
 *   unique. A retry of a skip whose INSERT committed but whose answer was lost fails on
 *   the key and is taken as done: the skip is recorded once. NULL for older rows (both
 *   engines let a unique index hold any number of NULLs).
 * - `mail_outbox`: mails written in the transaction that records the fact they tell
 *   (a failed run's end), sent afterwards and marked SENT, at least once, with a
 *   Message-ID fixed when the row was written. A process claims a row
 *   (`claimed_by`, `claimed_until`) before it sends it, and marks it SENT only while its
 *   claim holds, so two replicas do not send one row at once.
 *
 * Safe to run again after a failure part-way (MariaDB's DDL is not transactional).
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  const tables = await db.introspection.getTables();
  const skips = tables.find((table) => table.name === 'batch_step_skip');
  if (!skips?.columns.some((c) => c.name === 'skip_key')) {
    await db.schema.alterTable('batch_step_skip').addColumn('skip_key', t.varchar(64)).execute();
  }
  await db.schema.createIndex('ux_step_skip_key').ifNotExists().unique().on('batch_step_skip').column('skip_key').execute();

  await db.schema
    .createTable('mail_outbox')
    .ifNotExists()
    .addColumn('id', t.id, t.autoId)
    .addColumn('message_id', t.varchar(200), (c) => c.notNull().unique())
    .addColumn('kind', t.varchar(50), (c) => c.notNull())
    .addColumn('recipients', t.text, (c) => c.notNull())
    .addColumn('subject', t.varchar(500), (c) => c.notNull())
    .addColumn('body', t.text, (c) => c.notNull())
    .addColumn('status', t.varchar(20), (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', t.text)
    .addColumn('claimed_by', t.varchar(255))
    .addColumn('claimed_until', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('sent_at', t.timestamp)
    .execute();
  await db.schema.createIndex('ix_mail_outbox_status').ifNotExists().on('mail_outbox').columns(['status', 'id']).execute();
}
