import type { DatabaseHandle } from '../../db/connect.js';
import type { UserDb } from '../../db/schema/sibling-tables.js';
import { sqlTimestamp } from '../../db/sql-time.js';
import type { ItemWriter } from '../../engine/types.js';
import type { TokenTableName } from './expired-token-reader.js';

/**
 * Deletes one chunk of token ids in one statement (one transaction). The expiry
 * condition is repeated so a token renewed between read and delete survives, and a
 * replayed chunk deletes nothing twice. Returns the rows actually deleted (1.5).
 *
 * Retried after a lost acknowledgement, the first DELETE may have committed: the ids
 * already gone are then counted as deleted by this run (a token a user's logout removed
 * in that same instant would be counted so too), so the figures equal an undisturbed
 * run's instead of counting the chunk as filtered.
 */
export function tokenDeletionWriter(userDb: DatabaseHandle<UserDb>, table: TokenTableName, runAt: Date): ItemWriter<number> {
  const cutoff = sqlTimestamp(runAt);
  return {
    async write(ids, attempt) {
      const present = attempt?.afterUncertainCommit ? (await userDb.db.selectFrom(table).select('id').where('id', 'in', ids).execute()).length : ids.length;
      const result = await userDb.db
        .deleteFrom(table)
        .where('id', 'in', ids)
        .where('expiry_date', '<', cutoff)
        .executeTakeFirst();
      return Number(result.numDeletedRows) + (ids.length - present);
    },
  };
}
