import type { DatabaseHandle } from '../../db/connect.js';
import type { UserDb } from '../../db/schema/sibling-tables.js';
import { sqlTimestamp } from '../../db/sql-time.js';
import type { ItemWriter } from '../../engine/types.js';
import type { TokenTableName } from './expired-token-reader.js';

/**
 * Deletes one chunk of token ids in one statement (one transaction). The expiry
 * condition is repeated so a token renewed between read and delete survives, and a
 * replayed chunk deletes nothing twice. Returns the rows actually deleted (1.5).
 */
export function tokenDeletionWriter(userDb: DatabaseHandle<UserDb>, table: TokenTableName, runAt: Date): ItemWriter<number> {
  const cutoff = sqlTimestamp(runAt);
  return {
    async write(ids) {
      const result = await userDb.db
        .deleteFrom(table)
        .where('id', 'in', ids)
        .where('expiry_date', '<', cutoff)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
