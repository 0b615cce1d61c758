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
      const rows = await userDb.db
        .selectFrom(table)
        .select('id')
        .where('id', '>', afterId)
        .where('expiry_date', '<', cutoff)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((row) => Number(row.id));
    },
    keyOf: (id) => id,
  });
}
