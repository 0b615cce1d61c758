/**
 * A dry run's figures kept apart from real ones (issue 16): `would_write_count` on
 * `batch_step_execution` and `job_execution_history` holds what a dry run would have
 * written, while its `write_count` stays 0; its job metrics are stored nested under
 * `dryRun` (`{"dryRun": {"refreshTokensDeleted": 250027, …}}`), so nothing that sums or
 * charts numeric metrics can add them to real figures by accident.
 * Runs recorded before this migration counted their would-writes as writes and kept
 * their metrics flat: they are moved into the new shape here, so history reads one way.
 */
import { sql, type Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  for (const table of ['batch_step_execution', 'job_execution_history']) {
    await db.schema.alterTable(table).addColumn('would_write_count', t.bigint, (c) => c.notNull().defaultTo(0)).execute();
  }
  await sql`UPDATE batch_step_execution SET would_write_count = write_count, write_count = 0
            WHERE job_execution_id IN (SELECT id FROM batch_job_execution WHERE dry_run = 1)`.execute(db);
  await sql`UPDATE job_execution_history SET would_write_count = write_count, write_count = 0
            WHERE execution_id IN (SELECT id FROM batch_job_execution WHERE dry_run = 1)`.execute(db);
  const dryRuns = await sql<{ id: number | bigint; metrics: string }>`SELECT id, metrics FROM batch_job_execution WHERE dry_run = 1`.execute(db);
  for (const row of dryRuns.rows) {
    const nested = nestDryRunMetrics(row.metrics);
    if (nested === null) continue;
    await sql`UPDATE batch_job_execution SET metrics = ${nested} WHERE id = ${row.id}`.execute(db);
    await sql`UPDATE job_execution_history SET metrics = ${nested} WHERE execution_id = ${row.id}`.execute(db);
  }
}

/** The nested form of a dry run's flat metrics; null when there is nothing to move. */
function nestDryRunMetrics(text: string): string | null {
  const metrics = JSON.parse(text) as Record<string, unknown>;
  const keys = Object.keys(metrics);
  if (keys.length === 0 || (keys.length === 1 && keys[0] === 'dryRun')) return null;
  return JSON.stringify({ dryRun: metrics });
}
