/**
 * `audit_log` (10.6–10.9): append-only, hash-chained. Each row holds the hash of the row
 * before it (`prev_hash`, unique: two concurrent appends cannot both follow the same row,
 * so the chain never forks) and its own hash over that and its content. Triggers make
 * UPDATE and DELETE fail in the database itself, whoever connects; tampering done with
 * the triggers dropped shows up in `batch-service audit verify`.
 *
 * Safe to run again after a failure part-way: MariaDB's DDL is not transactional, so a
 * trigger refused (binary logging without `log_bin_trust_function_creators`) leaves the
 * table behind, unrecorded; the next attempt keeps it and creates what is missing.
 */
import { sql, type Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';
import type { Dialect } from '../connect.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .ifNotExists()
    .addColumn('id', t.id, t.autoId)
    .addColumn('occurred_at', t.timestamp, (c) => c.notNull())
    .addColumn('action', t.varchar(40), (c) => c.notNull())
    .addColumn('actor', t.varchar(255))
    .addColumn('client_address', t.varchar(64))
    .addColumn('target', t.varchar(500))
    .addColumn('details', t.text, (c) => c.notNull())
    .addColumn('prev_hash', t.varchar(64), (c) => c.notNull().unique())
    .addColumn('hash', t.varchar(64), (c) => c.notNull().unique())
    .execute();
  for (const operation of ['UPDATE', 'DELETE'] as const) {
    const name = sql.raw(`audit_log_no_${operation.toLowerCase()}`);
    const message = sql.raw(`'audit_log is append-only (10.9): ${operation} refused'`);
    const event = sql.raw(operation);
    // Trigger syntax is the one part of this schema the two engines do not share.
    await (dialect === 'sqlite'
      ? sql`CREATE TRIGGER IF NOT EXISTS ${name} BEFORE ${event} ON audit_log BEGIN SELECT RAISE(ABORT, ${message}); END`
      : sql`CREATE TRIGGER IF NOT EXISTS ${name} BEFORE ${event} ON audit_log FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = ${message}`
    ).execute(db);
  }
}
