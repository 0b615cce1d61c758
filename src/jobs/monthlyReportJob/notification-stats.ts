/** 3.4, notification statistics of a month, by aggregate SQL in notificationdb. */
import type { DatabaseHandle } from '../../db/connect.js';
import { sqlTimestamp } from '../../db/sql-time.js';
import type { NotificationDb } from '../../db/schema/sibling-tables.js';
import type { ReportPeriod } from './report-period.js';

export interface NotificationStats {
  /** Created in the month, by statut (PENDING, SENT, FAILED). */
  readonly byStatut: Readonly<Record<string, number>>;
  readonly byType: Readonly<Record<string, number>>;
  readonly total: number;
  /** SENT / (SENT + FAILED) of the month's notifications; null when none was attempted. */
  readonly successRate: number | null;
  /** PENDING for more than 24 hours at the run's instant, whatever their month. */
  readonly pendingOver24h: number;
}

export async function notificationStats(notification: DatabaseHandle<NotificationDb>, period: ReportPeriod, runAt: Date): Promise<NotificationStats> {
  const { db } = notification;
  const inMonth = db.selectFrom('notifications').where('created_at', '>=', sqlTimestamp(period.start)).where('created_at', '<', sqlTimestamp(period.end));
  const [statuts, types, pending] = await Promise.all([
    inMonth.select(['statut', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('statut').execute(),
    inMonth.select(['type', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('type').execute(),
    db
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('statut', '=', 'PENDING')
      .where('created_at', '<', sqlTimestamp(new Date(runAt.getTime() - 86_400_000)))
      .executeTakeFirstOrThrow(),
  ]);
  const byStatut = Object.fromEntries(statuts.map((s) => [s.statut, Number(s.n)]));
  const attempted = (byStatut.SENT ?? 0) + (byStatut.FAILED ?? 0);
  return {
    byStatut,
    byType: Object.fromEntries(types.map((t) => [t.type, Number(t.n)])),
    total: statuts.reduce((sum, s) => sum + Number(s.n), 0),
    successRate: attempted === 0 ? null : (byStatut.SENT ?? 0) / attempted,
    pendingOver24h: Number(pending.n),
  };
}
