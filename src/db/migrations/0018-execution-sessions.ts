/**
 * `batch_job_execution.sessions` (issue 23, item 5): the MariaDB connection ids of the
 * process running the execution, per database (`{"batchdb":[41,42],"userdb":[43]}`),
 * written with each heartbeat. A process whose link to MariaDB is cut (not closed) leaves
 * its open transaction and row locks behind until `wait_timeout` (8 hours by default);
 * whoever abandons the run ends those connections (`KILL CONNECTION`) first, so the run
 * that takes over does not wait on those locks. NULL on SQLite and for older rows.
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema.alterTable('batch_job_execution').addColumn('sessions', t.text).execute();
}
