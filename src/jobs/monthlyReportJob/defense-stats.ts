/** 3.3, defense statistics of a month, by aggregate SQL in defensedb. */
import type { DatabaseHandle } from '../../db/connect.js';
import { sqlTimestamp } from '../../db/sql-time.js';
import { daysBetweenColumns } from '../../db/sql-dates.js';
import type { DefenseDb } from '../../db/schema/sibling-tables.js';
import type { ReportPeriod } from './report-period.js';

export interface DefenseStats {
  /** Defense requests created in the month. */
  readonly requests: number;
  /** SOUTENUE with its date in the month. */
  readonly held: number;
  readonly byMention: Readonly<Record<string, number>>;
  /** Days from the request (created_at) to the defense, over the month's defenses; null without any. */
  readonly meanDelayDays: number | null;
  readonly medianDelayDays: number | null;
}

export async function defenseStats(defense: DatabaseHandle<DefenseDb>, period: ReportPeriod): Promise<DefenseStats> {
  const { db } = defense;
  const requests = await db
    .selectFrom('soutenances')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('created_at', '>=', sqlTimestamp(period.start))
    .where('created_at', '<', sqlTimestamp(period.end))
    .executeTakeFirstOrThrow();
  const heldInMonth = db
    .selectFrom('soutenances')
    .where('statut', '=', 'SOUTENUE')
    .where('date_soutenance', '>=', period.firstDay)
    .where('date_soutenance', '<', period.nextFirstDay);
  const mentions = await heldInMonth.select(['mention', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('mention').execute();
  const held = mentions.reduce((sum, m) => sum + Number(m.n), 0);
  const delay = daysBetweenColumns(defense.dialect, 'created_at', 'date_soutenance');
  const mean = await heldInMonth.select((eb) => eb.fn.avg<number>(delay).as('mean')).executeTakeFirstOrThrow();
  // The median, still in SQL: the middle one or two delays in order.
  const middle = held === 0 ? [] : await heldInMonth.select(delay.as('d')).orderBy(delay).limit(held % 2 === 0 ? 2 : 1).offset(Math.floor((held - 1) / 2)).execute();
  return {
    requests: Number(requests.n),
    held,
    byMention: Object.fromEntries(mentions.map((m) => [m.mention ?? 'SANS_MENTION', Number(m.n)])),
    meanDelayDays: held === 0 || mean.mean === null ? null : Number(mean.mean),
    medianDelayDays: middle.length === 0 ? null : middle.reduce((sum, r) => sum + Number(r.d), 0) / middle.length,
  };
}
