/** Who the jobs write to, read from userdb each time: an admin added today is mailed tonight. */
import type { DatabaseHandle } from '../db/connect.js';
import type { UserDb } from '../db/schema/sibling-tables.js';

/** Every enabled user holding ROLE_ADMIN, each address once. */
export async function adminAddresses(user: DatabaseHandle<UserDb>): Promise<string[]> {
  const rows = await user.db
    .selectFrom('users as u')
    .innerJoin('user_roles as r', 'r.user_id', 'u.id')
    .select('u.email')
    .distinct()
    .where('r.role', '=', 'ROLE_ADMIN')
    .where('u.enabled', '=', 1)
    .orderBy('u.email')
    .execute();
  return rows.map((r) => r.email);
}
