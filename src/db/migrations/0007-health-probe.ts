/**
 * `batch_health_probe`: one row that the health check rewrites, because a `select 1`
 * answers on a database that refuses every write (a SQLite file opened read-only, a
 * MariaDB replica in read_only mode, a full disk): health must say what a launch would
 * meet. The row says who probed last and when, which also helps tell replicas apart.
 */
import { sql, type Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('batch_health_probe')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('probed_at', t.timestamp, (c) => c.notNull())
    .addColumn('probed_by', t.varchar(255), (c) => c.notNull())
    .execute();
  await sql`INSERT INTO batch_health_probe (id, probed_at, probed_by) VALUES (1, ${'1970-01-01 00:00:00'}, ${'migration'})`.execute(db);
}
