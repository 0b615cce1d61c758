import type { DatabaseHandle } from '../../db/connect.js';
import type { UserDb } from '../../db/schema/sibling-tables.js';
import { sqlTimestamp } from '../../db/sql-time.js';
import { keysetReader } from '../../engine/keyset-reader.js';
import type { ItemReader, JsonObject } from '../../engine/types.js';

export type TokenTableName = 'refresh_tokens' | 'password_reset_tokens';

/**
 * Ids of tokens with `expiry_date < runAt` (1.2, strictly), walking the primary key
 * from the last id read (1.3): each page costs the rows it passes, whatever the table
 * size, and a restart resumes after the last checkpointed id.
 */
export function expiredTokenReader(
  userDb: DatabaseHandle<UserDb>,
  table: TokenTableName,
  runAt: Date,
  restored: JsonObject,
): ItemReader<number> {
  const cutoff = sqlTimestamp(runAt);
  return keysetReader(restored, {
    fetch: async (afterId, limit) => {
      const rows = await expiredAfter(userDb, table, cutoff, afterId).select('id').orderBy('id').limit(limit).execute();
      return rows.map((row) => Number(row.id));
    },
    keyOf: (id) => id,
  });
}

/**
 * How many ids the reader has still to return after `afterId`: the step's estimate. One
 * count on the `expiry_date` index (whose entries carry the id), same condition as the
 * reader's, so on a table nobody else writes it is exactly what the step then reads.
 */
export async function countExpiredTokens(userDb: DatabaseHandle<UserDb>, table: TokenTableName, runAt: Date, afterId: number): Promise<number> {
  const row = await expiredAfter(userDb, table, sqlTimestamp(runAt), afterId)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The reader's condition, in one place for the page and the count. */
function expiredAfter(userDb: DatabaseHandle<UserDb>, table: TokenTableName, cutoff: string, afterId: number) {
  return userDb.db.selectFrom(table).where('id', '>', afterId).where('expiry_date', '<', cutoff);
}
