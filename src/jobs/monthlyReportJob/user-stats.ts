/**
 * 3.5, user statistics of a month, by aggregate SQL in userdb. What can be historical is:
 * an account exists from its `created_at` on, so the totals count the accounts created
 * on or before the month's end. What cannot: userdb keeps no history of roles or of the
 * `enabled` flag, so those are today's (when the figures are computed), restricted to
 * the accounts that existed then; the report's labels say so. A deleted account is
 * counted nowhere.
 */
import type { DatabaseHandle } from '../../db/connect.js';
import { sqlTimestamp } from '../../db/sql-time.js';
import type { UserDb } from '../../db/schema/sibling-tables.js';
import type { ReportPeriod } from './report-period.js';

export interface UserStats {
  /** Accounts created in the month. */
  readonly newAccounts: number;
  /** Today's roles of the accounts created in the month. */
  readonly newByRole: Readonly<Record<string, number>>;
  /** Accounts created on or before the month's end. */
  readonly accounts: number;
  /** Today's roles of those accounts. */
  readonly byRole: Readonly<Record<string, number>>;
  /** Today's `enabled` flag of those accounts. */
  readonly enabled: number;
  readonly disabled: number;
}

export async function userStats(user: DatabaseHandle<UserDb>, period: ReportPeriod): Promise<UserStats> {
  const { db } = user;
  const [start, end] = [sqlTimestamp(period.start), sqlTimestamp(period.end)];
  const rolesOf = (from: string | null) => {
    let query = db.selectFrom('user_roles as r').innerJoin('users as u', 'u.id', 'r.user_id').select(['r.role', (eb) => eb.fn.countAll<number>().as('n')]).where('u.created_at', '<', end);
    if (from !== null) query = query.where('u.created_at', '>=', from);
    return query.groupBy('r.role').execute();
  };
  const [created, newByRole, byRole, enabled] = await Promise.all([
    db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '>=', start).where('created_at', '<', end).executeTakeFirstOrThrow(),
    rolesOf(start),
    rolesOf(null),
    db.selectFrom('users').select(['enabled', (eb) => eb.fn.countAll<number>().as('n')]).where('created_at', '<', end).groupBy('enabled').execute(),
  ]);
  const enabledCount = (flag: boolean) => enabled.filter((r) => Boolean(Number(r.enabled)) === flag).reduce((sum, r) => sum + Number(r.n), 0);
  const tally = (rows: readonly { role: string; n: number | string }[]) => Object.fromEntries(rows.map((r) => [r.role, Number(r.n)]));
  return {
    newAccounts: Number(created.n),
    newByRole: tally(newByRole),
    accounts: enabledCount(true) + enabledCount(false),
    byRole: tally(byRole),
    enabled: enabledCount(true),
    disabled: enabledCount(false),
  };
}
