/** Token rows for tokenCleanupJob tests. */
import { randomBytes } from 'node:crypto';
import type { Databases } from '../../../src/db/databases.js';
import { sqlTimestamp, sqlTimestampMillis } from '../../../src/db/sql-time.js';
import type { TokenTableName } from '../../../src/jobs/tokenCleanupJob/expired-token-reader.js';

export const TABLES: readonly TokenTableName[] = ['refresh_tokens', 'password_reset_tokens'];

export interface TokenSpec {
  readonly expiry: Date;
  /** Store as `YYYY-MM-DD HH:MM:SS` (whole seconds only) rather than with milliseconds. */
  readonly secondsForm?: boolean;
}

export async function insertTokens(databases: Databases, table: TokenTableName, tokens: readonly TokenSpec[]): Promise<void> {
  const created = sqlTimestampMillis(new Date('2020-01-01T00:00:00Z'));
  for (let i = 0; i < tokens.length; i += 500) {
    await databases.user.db
      .insertInto(table)
      .values(
        tokens.slice(i, i + 500).map((t) => ({
          token: randomBytes(16).toString('hex'),
          user_id: 1,
          expiry_date: t.secondsForm && t.expiry.getUTCMilliseconds() === 0 ? sqlTimestamp(t.expiry) : sqlTimestampMillis(t.expiry),
          created_at: created,
        })),
      )
      .execute();
  }
}

export async function remainingExpiries(databases: Databases, table: TokenTableName): Promise<number[]> {
  const rows = await databases.user.db.selectFrom(table).select('expiry_date').execute();
  return rows.map((r) => new Date(`${r.expiry_date.replace(' ', 'T')}Z`).getTime()).sort((a, b) => a - b);
}

export async function clearTokens(databases: Databases): Promise<void> {
  for (const table of TABLES) await databases.user.db.deleteFrom(table).execute();
}
