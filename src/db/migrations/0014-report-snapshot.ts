/**
 * `report_snapshot` (issue 21): the figures of each month the monthly report was
 * generated for, kept with the report so a re-generation shows the same numbers and the
 * month-over-month changes compare what was published. Sibling data moves on after a
 * month ends — statuts change, SENT notifications are deleted after 3 months (4.7),
 * accounts are disabled — so a month recomputed later is not the month that was read.
 * One row per month (`month` is the key); `figures` is the report's figures as JSON,
 * in the shape `version` names; `report_file` is set once that month's own report was
 * written (a month computed only as the previous one of another report has none).
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('report_snapshot')
    .addColumn('month', t.varchar(7), (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('figures', t.text, (c) => c.notNull())
    .addColumn('computed_at', t.timestamp, (c) => c.notNull())
    .addColumn('job_execution_id', t.bigint)
    .addColumn('report_file', t.varchar(64))
    .execute();
}
