/**
 * A dead process's lease, lapsed on demand. A crash test kills its child, then needs the
 * sweep to find that run stale: instead of sleeping past a short heartbeat timeout (which
 * a loaded machine turns into a race), it moves the run's `heartbeat_at` back to a date
 * long past, which is what the timeout's passing would look like to the sweeper. Only for
 * a run whose process is gone: a live one would stamp its heartbeat again.
 */
import type { Kysely } from 'kysely';
import type { BatchDb } from '../../src/db/schema/batch-tables.js';

const LONG_AGO = '2000-01-01 00:00:00.000';

/** Lapses the lease of every running execution (or of `executionId`); returns how many. */
export async function lapseLeases(db: Kysely<BatchDb>, executionId?: number): Promise<number> {
  let query = db.updateTable('batch_job_execution').set({ heartbeat_at: LONG_AGO }).where('running_job', 'is not', null);
  if (executionId !== undefined) query = query.where('id', '=', executionId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
