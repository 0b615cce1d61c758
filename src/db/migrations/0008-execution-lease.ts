/**
 * The run protocol's two compare-and-sets (docs/engine.md, "Fencing" and "Launch"):
 *
 * - `batch_job_execution.owner`: a token drawn at each launch, known only to the process
 *   running the execution. Every write of the run protocol matches it with the status
 *   STARTED or STOPPING, so once another process has abandoned the run, the first one's
 *   heartbeats, checkpoints and final status update no row: it has lost its lease.
 * - `batch_job_instance.current_execution_id`: the instance's newest execution. A launch
 *   moves it from the execution it read to the one it creates, in the transaction that
 *   creates it; a launch that read an older value updates no row and is refused, so an
 *   instance that just completed never runs again and a failed execution restarts once.
 */
import { sql, type Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema.alterTable('batch_job_execution').addColumn('owner', t.varchar(64)).execute();
  await db.schema.alterTable('batch_job_instance').addColumn('current_execution_id', t.bigint).execute();
  await sql`
    UPDATE batch_job_instance
    SET current_execution_id = (SELECT MAX(e.id) FROM batch_job_execution e WHERE e.job_instance_id = batch_job_instance.id)
  `.execute(db);
}
