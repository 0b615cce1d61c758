/** `job_execution_history` (8.10): one row per execution, written by the history listener. */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('job_execution_history')
    .addColumn('id', t.id, t.autoId)
    .addColumn('job_name', t.varchar(100), (c) => c.notNull())
    .addColumn('execution_id', t.bigint, (c) => c.notNull().unique())
    .addColumn('status', t.varchar(20), (c) => c.notNull())
    .addColumn('trigger_type', t.varchar(20), (c) => c.notNull())
    .addColumn('triggered_by', t.varchar(255))
    .addColumn('start_time', t.timestamp, (c) => c.notNull())
    .addColumn('end_time', t.timestamp)
    .addColumn('duration_ms', t.bigint)
    .addColumn('read_count', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('write_count', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('skip_count', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('error_message', t.text)
    .addColumn('metrics', t.text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_history_job').on('job_execution_history').columns(['job_name', 'start_time']).execute();
}
