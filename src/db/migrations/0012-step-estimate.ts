/**
 * `batch_step_execution.estimated_total` (issue 14): how many items a chunk step expected
 * to read in all, from one count its reader made as the step started, plus the counts a
 * restart restored. NULL when the step gave no estimate (tasklets, jobs without one, an
 * estimate that failed). Progress displays — the CLI's bar, the console — set the step's
 * `read_count` against it; nothing in the run protocol depends on it.
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema.alterTable('batch_step_execution').addColumn('estimated_total', t.bigint).execute();
}
