/**
 * 3.4, notification statistics of a month, by aggregate SQL in notificationdb: the
 * notifications created in the month, by the statut they had when the figures were
 * computed (a notification keeps no history of its statut).
 */
import type { DatabaseHandle } from '../../db/connect.js';
import { sqlTimestamp } from '../../db/sql-time.js';
import type { NotificationDb } from '../../db/schema/sibling-tables.js';
import type { ReportPeriod } from './report-period.js';

/** How long a notification may wait before it counts as stuck (the consistency job re-sends those, 5.10). */
const STUCK_AFTER_MS = 86_400_000;

export interface NotificationStats {
  /** Created in the month, by statut (PENDING, SENT, FAILED). */
  readonly byStatut: Readonly<Record<string, number>>;
  readonly byType: Readonly<Record<string, number>>;
  /** Created in the month. */
  readonly total: number;
  /** SENT among the month's `total`; null when none was created. Pending ones count against it: they were not delivered. */
  readonly deliveryRate: number | null;
  /** Of the month's notifications, those still PENDING that were created more than 24 hours before the month's end. */
  readonly pendingOver24h: number;
}

export async function notificationStats(notification: DatabaseHandle<NotificationDb>, period: ReportPeriod): Promise<NotificationStats> {
  const { db } = notification;
  const inMonth = db.selectFrom('notifications').where('created_at', '>=', sqlTimestamp(period.start)).where('created_at', '<', sqlTimestamp(period.end));
  const [statuts, types, stuck] = await Promise.all([
    inMonth.select(['statut', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('statut').execute(),
    inMonth.select(['type', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('type').execute(),
    // The month's own: a notification created after the month is another month's warning.
    inMonth
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('statut', '=', 'PENDING')
      .where('created_at', '<', sqlTimestamp(new Date(period.end.getTime() - STUCK_AFTER_MS)))
      .executeTakeFirstOrThrow(),
  ]);
  const byStatut = Object.fromEntries(statuts.map((s) => [s.statut, Number(s.n)]));
  const total = statuts.reduce((sum, s) => sum + Number(s.n), 0);
  return {
    byStatut,
    byType: Object.fromEntries(types.map((t) => [t.type, Number(t.n)])),
    total,
    deliveryRate: total === 0 ? null : (byStatut.SENT ?? 0) / total,
    pendingOver24h: Number(stuck.n),
  };
}
