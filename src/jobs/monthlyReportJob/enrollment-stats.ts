/**
 * 3.2, enrollment statistics of a month, by aggregate SQL in inscriptiondb (GROUP BY;
 * rows are never loaded one by one). Duration bands use the alert job's band function on
 * the distinct first-enrollment dates (a few thousand at most), at the month's last day.
 */
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../db/connect.js';
import type { InscriptionDb, UserDb } from '../../db/schema/sibling-tables.js';
import { addMonths } from '../../doctorate/calendar.js';
import { durationBand } from '../../doctorate/duration-band.js';
import type { ReportPeriod } from './report-period.js';

export interface EnrollmentStats {
  readonly newInscriptions: { readonly total: number; readonly premiere: number; readonly reinscription: number };
  /** Statut of the month's new inscriptions. */
  readonly byStatut: Readonly<Record<string, number>>;
  /** VALIDÉ among the month's new inscriptions that were decided (VALIDÉ or REJETÉ); null when none was. */
  readonly validationRate: number | null;
  /** Distinct doctorants with a VALIDÉ, not archived inscription dated before the month's end. */
  readonly activeDoctorants: number;
  readonly topDirecteurs: readonly { readonly directeurId: number; readonly nom: string; readonly doctorants: number }[];
  /** Active inscriptions by duration band at the month's last day. */
  readonly durationBands: { readonly moins3Ans: number; readonly troisAns: number; readonly sixAns: number; readonly depassement: number };
  /** New inscriptions per month, the twelve months ending with this one. */
  readonly trend: readonly { readonly month: string; readonly count: number }[];
}

export async function enrollmentStats(
  inscription: DatabaseHandle<InscriptionDb>,
  user: DatabaseHandle<UserDb>,
  period: ReportPeriod,
  warningMonths: number,
): Promise<EnrollmentStats> {
  const db = inscription.db;
  const inMonth = db.selectFrom('inscriptions').where('date_inscription', '>=', period.firstDay).where('date_inscription', '<', period.nextFirstDay);
  const active = db
    .selectFrom('inscriptions')
    .where('statut', '=', 'VALIDÉ')
    .where('archived', '=', 0)
    .where('date_inscription', '<', period.nextFirstDay);

  const byTypeAndStatut = await inMonth.select(['type', 'statut', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['type', 'statut']).execute();
  const count = (rows: readonly { n: number | string }[]) => rows.reduce((sum, r) => sum + Number(r.n), 0);
  const byStatut: Record<string, number> = {};
  for (const row of byTypeAndStatut) byStatut[row.statut] = (byStatut[row.statut] ?? 0) + Number(row.n);
  const decided = (byStatut['VALIDÉ'] ?? 0) + (byStatut['REJETÉ'] ?? 0);

  const activeCount = await active.select((eb) => eb.fn.count<number>('doctorant_id').distinct().as('n')).executeTakeFirstOrThrow();
  const top = await active
    .select(['directeur_id', (eb) => eb.fn.count<number>('doctorant_id').distinct().as('n')])
    .where('directeur_id', 'is not', null)
    .groupBy('directeur_id')
    .orderBy('n', 'desc')
    .orderBy('directeur_id')
    .limit(10)
    .execute();
  const names = top.length === 0 ? [] : await user.db.selectFrom('users').select(['id', 'nom', 'prenom']).where('id', 'in', top.map((t) => Number(t.directeur_id))).execute();
  const nameOf = new Map(names.map((u) => [Number(u.id), [u.prenom, u.nom].filter(Boolean).join(' ')]));

  const byFirstEnrollment = await active.select(['date_premiere_inscription', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('date_premiere_inscription').execute();
  const bands = { moins3Ans: 0, troisAns: 0, sixAns: 0, depassement: 0 };
  for (const row of byFirstEnrollment) {
    const band = durationBand(String(row.date_premiere_inscription).slice(0, 10), period.lastDay, warningMonths);
    const key = band === '3_ANS' ? 'troisAns' : band === '6_ANS' ? 'sixAns' : band === 'DEPASSEMENT' ? 'depassement' : 'moins3Ans';
    bands[key] += Number(row.n);
  }

  // SUBSTR of a DATE is its `YYYY-MM-DD` text on both engines.
  const trendStart = addMonths(period.firstDay, -11);
  const monthOf = sql<string>`substr(date_inscription, 1, 7)`;
  const perMonth = await db
    .selectFrom('inscriptions')
    .select([monthOf.as('month'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('date_inscription', '>=', trendStart)
    .where('date_inscription', '<', period.nextFirstDay)
    .groupBy(monthOf)
    .execute();
  const counted = new Map(perMonth.map((r) => [String(r.month), Number(r.n)]));
  const trend = Array.from({ length: 12 }, (_, i) => addMonths(trendStart, i).slice(0, 7)).map((month) => ({ month, count: counted.get(month) ?? 0 }));

  return {
    newInscriptions: {
      total: count(byTypeAndStatut),
      premiere: count(byTypeAndStatut.filter((r) => r.type === 'PREMIERE')),
      reinscription: count(byTypeAndStatut.filter((r) => r.type === 'REINSCRIPTION')),
    },
    byStatut,
    validationRate: decided === 0 ? null : (byStatut['VALIDÉ'] ?? 0) / decided,
    activeDoctorants: Number(activeCount.n),
    topDirecteurs: top.map((t) => ({ directeurId: Number(t.directeur_id), nom: nameOf.get(Number(t.directeur_id)) || `directeur n° ${t.directeur_id}`, doctorants: Number(t.n) })),
    durationBands: bands,
    trend,
  };
}
