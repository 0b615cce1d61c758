/**
 * `consistency_anomaly` (docs/databases.md, 5.2–5.16): what dataConsistencyJob found, kept across
 * nights. `first_seen` / `last_seen` / `resolved_at` are the `runAt` of the runs that first
 * saw, last saw and no longer saw the anomaly: an instant a restart keeps, so a resumed
 * run recognises what its first attempt recorded.
 * At most one open row per (type, entity, entity id): `open_key` holds that triple while
 * the row is open and NULL once resolved, and is unique — NULLs never collide, on SQLite
 * and MariaDB alike, so resolved rows accumulate as history while a second open row for
 * the same anomaly is refused by the database itself.
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('consistency_anomaly')
    .addColumn('id', t.id, t.autoId)
    .addColumn('type', t.varchar(40), (c) => c.notNull())
    .addColumn('entity', t.varchar(40), (c) => c.notNull())
    .addColumn('entity_id', t.bigint, (c) => c.notNull())
    .addColumn('details', t.text, (c) => c.notNull())
    .addColumn('action', t.varchar(30), (c) => c.notNull())
    .addColumn('first_seen', t.timestamp, (c) => c.notNull())
    .addColumn('last_seen', t.timestamp, (c) => c.notNull())
    .addColumn('resolved_at', t.timestamp)
    .addColumn('open_key', t.varchar(120), (c) => c.unique())
    .addColumn('job_execution_id', t.bigint)
    .execute();
  await db.schema.createIndex('consistency_anomaly_type_last_seen').on('consistency_anomaly').columns(['type', 'last_seen']).execute();
}
