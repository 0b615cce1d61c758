/**
 * `batch_job_execution_version`: one row whose `version` grows with every insert,
 * update and delete on `batch_job_execution`, whichever process or replica makes it,
 * kept by triggers so no writer can forget it. Readers that show executions (the
 * API's job list) compare it with the version they last built from and rebuild only
 * when it moved: exact, unlike a time-to-live, and one primary-key read instead of the
 * full query.
 *
 * Safe to run again after a failure part-way (a trigger refused on MariaDB with binary
 * logging, whose DDL is not transactional): what exists is kept, what is missing created.
 */
import { sql, type Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';
import type { Dialect } from '../connect.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('batch_job_execution_version')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', t.bigint, (c) => c.notNull())
    .execute();
  await sql`INSERT INTO batch_job_execution_version (id, version) SELECT 1, 0 FROM (SELECT 1 AS one) seed WHERE NOT EXISTS (SELECT 1 FROM batch_job_execution_version WHERE id = 1)`.execute(db);
  for (const operation of ['INSERT', 'UPDATE', 'DELETE'] as const) {
    const name = sql.raw(`batch_job_execution_${operation.toLowerCase()}_version`);
    const event = sql.raw(operation);
    const bump = sql`UPDATE batch_job_execution_version SET version = version + 1 WHERE id = 1`;
    await (dialect === 'sqlite'
      ? sql`CREATE TRIGGER IF NOT EXISTS ${name} AFTER ${event} ON batch_job_execution BEGIN ${bump}; END`
      : sql`CREATE TRIGGER IF NOT EXISTS ${name} AFTER ${event} ON batch_job_execution FOR EACH ROW ${bump}`
    ).execute(db);
  }
}
