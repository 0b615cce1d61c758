/**
 * `rate_limit_window`: the launch rate limit's counters (6.11, 10.10), one fixed window
 * per route and user, in batchdb so the limit holds across replicas and restarts: held in
 * each process, two replicas gave a user twice the limit.
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('rate_limit_window')
    .addColumn('window_key', t.varchar(64), (c) => c.primaryKey())
    .addColumn('window_start_ms', t.bigint, (c) => c.notNull())
    .addColumn('hits', t.bigint, (c) => c.notNull())
    .execute();
}
