/**
 * 3.2, enrollment statistics of a month. Two kinds of figures, named apart in the report:
 *   - inscriptions (rows, one per doctorant and academic year) dated in the month, by
 *     aggregate SQL in inscriptiondb;
 *   - doctorants (people) active at the month's last day, by the one definition
 *     (doctorate/active-doctorant.ts), read page by page and aggregated here: their
 *     number, their duration bands (which therefore add up to it) and their number per
 *     directeur of their latest inscription.
 * Both are as of the month, whatever happened since: rows by their own dates, archived
 * or not (archiving moves documents; it does not end a doctorate).
 */
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../db/connect.js';
import type { DefenseDb, InscriptionDb, UserDb } from '../../db/schema/sibling-tables.js';
import { activeDoctorants } from '../../doctorate/active-doctorant.js';
import { addMonths } from '../../doctorate/calendar.js';
import { durationBand } from '../../doctorate/duration-band.js';
import type { ReportPeriod } from './report-period.js';

/** Statuts that close a decision on an inscription; EN_ATTENTE is the only undecided one. */
export const DECIDED_STATUTS = ['VALIDÉ', 'REJETÉ', 'SUSPENDU'] as const;

/** How many directeurs the report names before ties (all tied with the last are shown). */
export const TOP_DIRECTEURS = 10;

export interface DirecteurCount {
  readonly directeurId: number;
  readonly nom: string;
  readonly doctorants: number;
}

export interface EnrollmentStats {
  /** Inscriptions dated in the month. */
  readonly newInscriptions: { readonly total: number; readonly premiere: number; readonly reinscription: number };
  /** Statut (as recorded when the figures were computed) of the month's inscriptions. */
  readonly byStatut: Readonly<Record<string, number>>;
  /**
   * The month's inscriptions: `validated` (VALIDÉ) among `decided` (VALIDÉ, REJETÉ or
   * SUSPENDU), `undecided` (EN_ATTENTE) beside; `rate` is null when none was decided.
   */
  readonly validation: { readonly validated: number; readonly decided: number; readonly undecided: number; readonly rate: number | null };
  /** Doctorants (people) active at the month's last day. */
  readonly activeDoctorants: number;
  /**
   * Directeurs by their active doctorants (through each one's latest inscription), most
   * first: the first TOP_DIRECTEURS and everyone tied with the last of them.
   */
  readonly topDirecteurs: readonly DirecteurCount[];
  /** Active doctorants by duration band at the month's last day: they add up to `activeDoctorants`. */
  readonly durationBands: { readonly moins3Ans: number; readonly troisAns: number; readonly sixAns: number; readonly depassement: number };
  /** Inscriptions dated in each month, the twelve months ending with this one. */
  readonly trend: readonly { readonly month: string; readonly count: number }[];
}

export interface EnrollmentDatabases {
  readonly inscription: DatabaseHandle<InscriptionDb>;
  readonly defense: DatabaseHandle<DefenseDb>;
  readonly user: DatabaseHandle<UserDb>;
}

export async function enrollmentStats(dbs: EnrollmentDatabases, period: ReportPeriod, warningMonths: number, pageSize: number): Promise<EnrollmentStats> {
  const db = dbs.inscription.db;
  const inMonth = db.selectFrom('inscriptions').where('date_inscription', '>=', period.firstDay).where('date_inscription', '<', period.nextFirstDay);
  const byTypeAndStatut = await inMonth.select(['type', 'statut', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['type', 'statut']).execute();
  const count = (rows: readonly { n: number | string }[]) => rows.reduce((sum, r) => sum + Number(r.n), 0);
  const byStatut: Record<string, number> = {};
  for (const row of byTypeAndStatut) byStatut[row.statut] = (byStatut[row.statut] ?? 0) + Number(row.n);
  const decided = DECIDED_STATUTS.reduce((sum, statut) => sum + (byStatut[statut] ?? 0), 0);
  const validated = byStatut['VALIDÉ'] ?? 0;

  let active = 0;
  const bands = { moins3Ans: 0, troisAns: 0, sixAns: 0, depassement: 0 };
  const perDirecteur = new Map<number, number>();
  for await (const page of activeDoctorants(dbs, period.lastDay, pageSize)) {
    for (const doctorate of page) {
      active++;
      const band = durationBand(doctorate.firstEnrollment, period.lastDay, warningMonths);
      bands[band === '3_ANS' ? 'troisAns' : band === '6_ANS' ? 'sixAns' : band === 'DEPASSEMENT' ? 'depassement' : 'moins3Ans']++;
      const directeur = doctorate.latest.directeurId;
      if (directeur !== null) perDirecteur.set(directeur, (perDirecteur.get(directeur) ?? 0) + 1);
    }
  }
  const top = withTies([...perDirecteur].map(([directeurId, doctorants]) => ({ directeurId, doctorants })), TOP_DIRECTEURS);
  const names = top.length === 0 ? [] : await dbs.user.db.selectFrom('users').select(['id', 'nom', 'prenom']).where('id', 'in', top.map((t) => t.directeurId)).execute();
  const nameOf = new Map(names.map((u) => [Number(u.id), [u.prenom, u.nom].filter(Boolean).join(' ')]));

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
    validation: { validated, decided, undecided: byStatut['EN_ATTENTE'] ?? 0, rate: decided === 0 ? null : validated / decided },
    activeDoctorants: active,
    topDirecteurs: top.map((t) => ({ ...t, nom: nameOf.get(t.directeurId) || `directeur n° ${t.directeurId}` })),
    durationBands: bands,
    trend,
  };
}

/**
 * The `n` largest counts and every one tied with the n-th, largest first (then by id, an
 * order among equals that cuts nobody): cutting a tie by id would name one directeur
 * and leave out another with as many doctorants.
 *
 * @example withTies([{ directeurId: 1, doctorants: 2 }, { directeurId: 2, doctorants: 2 }], 1) // both
 */
export function withTies<T extends { readonly directeurId: number; readonly doctorants: number }>(counts: readonly T[], n: number): T[] {
  const sorted = [...counts].sort((a, b) => b.doctorants - a.doctorants || a.directeurId - b.directeurId);
  if (sorted.length <= n) return sorted;
  const threshold = sorted[n - 1]!.doctorants;
  return sorted.filter((c) => c.doctorants >= threshold);
}
