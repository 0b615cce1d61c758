/**
 * Issue 22, item 2: a shredded archive's row keeps only what identifies it. Archives
 * shredded before that still hold the original row in clear in `original_row`; it
 * becomes `{}`, what `archive shred` now writes (the column stays NOT NULL: rebuilding
 * the table on SQLite to relax it would copy every archive row for nothing). The
 * record's document names elsewhere in batchdb are erased by running `archive shred`
 * on it again.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['inscription_archive', 'defense_archive']) {
    await sql`update ${sql.table(table)} set original_row = '{}' where shredded_at is not null`.execute(db);
  }
}
