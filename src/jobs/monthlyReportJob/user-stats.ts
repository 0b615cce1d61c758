/** 3.5, user statistics of a month, by aggregate SQL in userdb. */
import type { DatabaseHandle } from '../../db/connect.js';
import { sqlTimestamp } from '../../db/sql-time.js';
import type { UserDb } from '../../db/schema/sibling-tables.js';
import type { ReportPeriod } from './report-period.js';

export interface UserStats {
  /** Accounts created in the month. */
  readonly newAccounts: number;
  /** Roles of the accounts created in the month. */
  readonly newByRole: Readonly<Record<string, number>>;
  /** Every account, by role. */
  readonly byRole: Readonly<Record<string, number>>;
  readonly enabled: number;
  readonly disabled: number;
}

export async function userStats(user: DatabaseHandle<UserDb>, period: ReportPeriod): Promise<UserStats> {
  const { db } = user;
  const [start, end] = [sqlTimestamp(period.start), sqlTimestamp(period.end)];
  const [created, newByRole, byRole, enabled] = await Promise.all([
    db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '>=', start).where('created_at', '<', end).executeTakeFirstOrThrow(),
    db
      .selectFrom('user_roles as r')
      .innerJoin('users as u', 'u.id', 'r.user_id')
      .select(['r.role', (eb) => eb.fn.countAll<number>().as('n')])
      .where('u.created_at', '>=', start)
      .where('u.created_at', '<', end)
      .groupBy('r.role')
      .execute(),
    db.selectFrom('user_roles').select(['role', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('role').execute(),
    db.selectFrom('users').select(['enabled', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('enabled').execute(),
  ]);
  const enabledCount = (flag: boolean) => enabled.filter((r) => Boolean(Number(r.enabled)) === flag).reduce((sum, r) => sum + Number(r.n), 0);
  return {
    newAccounts: Number(created.n),
    newByRole: Object.fromEntries(newByRole.map((r) => [r.role, Number(r.n)])),
    byRole: Object.fromEntries(byRole.map((r) => [r.role, Number(r.n)])),
    enabled: enabledCount(true),
    disabled: enabledCount(false),
  };
}
