/**
 * `batch_job_execution.end_audited_at`: when the run's JOB_EXECUTION_END audit entry was
 * appended, set in the audit log's own transaction by a guarded update (`… WHERE
 * end_audited_at IS NULL`). The entry is written after the end commits; a process that
 * dies in between leaves the column NULL, and the next `serve` (at start, then at each
 * sweep) appends the entry then — once, whoever gets there first. Executions ended before
 * this migration had their entry written by the same process: they are marked as audited
 * at their end time, so none is audited twice.
 */
import { sql, type Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema.alterTable('batch_job_execution').addColumn('end_audited_at', t.timestamp).execute();
  await sql`UPDATE batch_job_execution SET end_audited_at = end_time WHERE end_time IS NOT NULL`.execute(db);
}
