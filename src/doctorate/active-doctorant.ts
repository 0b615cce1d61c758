/**
 * What an *active doctorant* is, once for every job, report and role rule.
 *
 * A doctorant is active at date D when
 *   - their latest inscription dated on or before D (by `date_inscription`, then id) has
 *     statut `VALIDÉ`, and
 *   - no `SOUTENUE` soutenance of theirs is dated on or before D.
 * `archived` never enters it: archiving moves documents to an archive, it does not end a
 * doctorate, so a report re-generated after archiveJob shows the same people.
 * Their doctorate runs from `date_premiere_inscription`; every yearly row carries it, and
 * where rows disagree the earliest wins (dataConsistencyJob reports the disagreement).
 *
 * The rule itself is the pure function `doctorateAsOf`; the sets come from SQL in two
 * databases that no query can join (inscriptiondb, defensedb), so they are read by pages
 * of doctorants: one query picks the page's doctorants, one reads their rows dated on or
 * before D, one finds which of them had defended by D. Three queries a page, never one a
 * person.
 */
import type { DatabaseHandle } from '../db/connect.js';
import type { DefenseDb, InscriptionDb } from '../db/schema/sibling-tables.js';
import { addDays, type PlainDate } from './calendar.js';

/** One inscription row, as the rule reads it. */
export interface InscriptionFact {
  readonly id: number;
  readonly doctorantId: number;
  readonly directeurId: number | null;
  readonly statut: string;
  readonly dateInscription: PlainDate;
  readonly datePremiereInscription: PlainDate;
}

/** One doctorant as of a date. */
export interface Doctorate {
  readonly doctorantId: number;
  /** The latest inscription dated on or before the date: the one that makes them active (2.6 suspends it). */
  readonly latest: InscriptionFact;
  /** The earliest `date_premiere_inscription` of their rows. */
  readonly firstEnrollment: PlainDate;
  /** Whether their `date_premiere_inscription` differs between rows. */
  readonly firstEnrollmentDisagrees: boolean;
  readonly defended: boolean;
  readonly active: boolean;
}

const later = (a: InscriptionFact, b: InscriptionFact) => a.dateInscription > b.dateInscription || (a.dateInscription === b.dateInscription && a.id > b.id);

/**
 * The rule on one doctorant's rows: null when none is dated on or before `asOf` (not yet
 * a doctorant then).
 *
 * @example
 * doctorateAsOf(rows, false, '2026-10-31')?.active
 */
export function doctorateAsOf(rows: readonly InscriptionFact[], defended: boolean, asOf: PlainDate): Doctorate | null {
  let latest: InscriptionFact | null = null;
  let firstEnrollment: PlainDate | null = null;
  let disagrees = false;
  for (const row of rows) {
    if (row.dateInscription > asOf) continue;
    if (latest === null || later(row, latest)) latest = row;
    if (firstEnrollment !== null && firstEnrollment !== row.datePremiereInscription) disagrees = true;
    if (firstEnrollment === null || row.datePremiereInscription < firstEnrollment) firstEnrollment = row.datePremiereInscription;
  }
  if (latest === null || firstEnrollment === null) return null;
  return {
    doctorantId: latest.doctorantId,
    latest,
    firstEnrollment,
    firstEnrollmentDisagrees: disagrees,
    defended,
    active: latest.statut === 'VALIDÉ' && !defended,
  };
}

export interface DoctorateDatabases {
  readonly inscription: DatabaseHandle<InscriptionDb>;
  readonly defense: DatabaseHandle<DefenseDb>;
}

/**
 * Which of `doctorantIds` had a `SOUTENUE` soutenance by `asOf`. A SOUTENUE row without a
 * `date_soutenance` counts from its last update (the latest it can have been held).
 */
export async function defendedAmong(defense: DatabaseHandle<DefenseDb>, doctorantIds: readonly number[], asOf: PlainDate): Promise<Set<number>> {
  if (doctorantIds.length === 0) return new Set();
  const dayAfter = `${addDays(asOf, 1)} 00:00:00`;
  const rows = await defense.db
    .selectFrom('soutenances')
    .select('doctorant_id')
    .distinct()
    .where('doctorant_id', 'in', doctorantIds)
    .where('statut', '=', 'SOUTENUE')
    .where((eb) => eb.or([eb('date_soutenance', '<=', asOf), eb.and([eb('date_soutenance', 'is', null), eb('updated_at', '<', dayAfter)])]))
    .execute();
  return new Set(rows.map((r) => Number(r.doctorant_id)));
}

/**
 * The doctorants among `doctorantIds` as of `asOf`, active or not (absent: no inscription
 * by then). A caller that needs the defended ones too passes its own `defendedAmong` of the
 * same ids, so defensedb is asked once.
 */
export async function doctoratesOf(
  dbs: DoctorateDatabases,
  doctorantIds: readonly number[],
  asOf: PlainDate,
  defendedOnes: Promise<ReadonlySet<number>> = defendedAmong(dbs.defense, doctorantIds, asOf),
): Promise<Map<number, Doctorate>> {
  if (doctorantIds.length === 0) return new Map();
  const [rows, defended] = await Promise.all([inscriptionRows(dbs.inscription, asOf).where('doctorant_id', 'in', doctorantIds).execute(), defendedOnes]);
  return doctoratesFrom(rows, defended, asOf);
}

/** The rows the rule reads, dated by `asOf`. */
function inscriptionRows(inscription: DatabaseHandle<InscriptionDb>, asOf: PlainDate) {
  return inscription.db
    .selectFrom('inscriptions')
    .select(['inscriptions.id', 'inscriptions.doctorant_id', 'inscriptions.directeur_id', 'inscriptions.statut', 'inscriptions.date_inscription', 'inscriptions.date_premiere_inscription'])
    .where('inscriptions.date_inscription', '<=', asOf);
}

type InscriptionRow = Awaited<ReturnType<ReturnType<typeof inscriptionRows>['execute']>>[number];

function doctoratesFrom(rows: readonly InscriptionRow[], defended: ReadonlySet<number>, asOf: PlainDate): Map<number, Doctorate> {
  const byDoctorant = new Map<number, InscriptionFact[]>();
  for (const row of rows) {
    const fact: InscriptionFact = {
      id: Number(row.id),
      doctorantId: Number(row.doctorant_id),
      directeurId: row.directeur_id === null ? null : Number(row.directeur_id),
      statut: row.statut,
      dateInscription: String(row.date_inscription).slice(0, 10),
      datePremiereInscription: String(row.date_premiere_inscription).slice(0, 10),
    };
    const list = byDoctorant.get(fact.doctorantId);
    if (list) list.push(fact);
    else byDoctorant.set(fact.doctorantId, [fact]);
  }
  const result = new Map<number, Doctorate>();
  for (const [id, facts] of byDoctorant) {
    const doctorate = doctorateAsOf(facts, defended.has(id), asOf);
    if (doctorate) result.set(id, doctorate);
  }
  return result;
}

/** First enrollments from `from` (null: no lower bound) to `to`, both included. */
export interface FirstEnrollmentRange {
  readonly from: PlainDate | null;
  readonly to: PlainDate;
}

export interface DoctorantPage {
  /** The page's active doctorants, by id. */
  readonly active: readonly Doctorate[];
  /** The last doctorant id the page examined: the next page starts after it. Null: no more. */
  readonly lastKey: number | null;
}

/**
 * The next page of active doctorants after `afterId`, by doctorant id. The page examines
 * `limit` doctorants that may be active (`candidates`) and keeps those the rule says are:
 * a page can hold fewer than `limit`, even none, while `lastKey` moves on.
 */
export async function activeDoctorantPage(
  dbs: DoctorateDatabases,
  asOf: PlainDate,
  afterId: number,
  limit: number,
  range?: FirstEnrollmentRange,
): Promise<DoctorantPage> {
  // Two queries, the page's doctorants and then their rows: as one join on a derived table
  // MariaDB scans every row of the table to join the page's fifty (measured: 100,000 a page).
  const ids = (await candidates(dbs.inscription, asOf, afterId, range).orderBy('doctorant_id').limit(limit).execute()).map((r) => Number(r.doctorant_id));
  if (ids.length === 0) return { active: [], lastKey: null };
  const rows = await inscriptionRows(dbs.inscription, asOf).where('doctorant_id', 'in', ids).execute();
  const doctorates = doctoratesFrom(rows, await defendedAmong(dbs.defense, ids, asOf), asOf);
  const active = ids.map((id) => doctorates.get(id)).filter((d): d is Doctorate => d !== undefined && d.active && (!range || inRange(d.firstEnrollment, range)));
  return { active, lastKey: ids[ids.length - 1]! };
}

/**
 * About how many active doctorants `activeDoctorantPage` will return after `afterId`, for
 * progress: those with a `VALIDÉ` row by `asOf` whose first enrollment is in the range, one
 * plain count on the index. Not the pages' condition (asked of each doctorant's rows
 * together, it cost a third of the alert job's time on MariaDB), so a guide: it counts
 * doctorants a later row suspended or a defense ended, and misses none whose rows agree.
 */
export async function countDoctorantCandidates(inscription: DatabaseHandle<InscriptionDb>, asOf: PlainDate, afterId: number, range?: FirstEnrollmentRange): Promise<number> {
  let query = inscription.db
    .selectFrom('inscriptions')
    .select((eb) => eb.fn.count<number>('doctorant_id').distinct().as('n'))
    .where('doctorant_id', '>', afterId)
    .where('date_inscription', '<=', asOf)
    .where('statut', '=', 'VALIDÉ');
  if (range) query = query.where('date_premiere_inscription', '<=', range.to);
  if (range?.from) query = query.where('date_premiere_inscription', '>=', range.from);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Every active doctorant at `asOf`, page by page (`pageSize` doctorants examined a page).
 *
 * @example
 * for await (const page of activeDoctorants(dbs, '2026-10-31', 2000)) count += page.length;
 */
export async function* activeDoctorants(dbs: DoctorateDatabases, asOf: PlainDate, pageSize: number, range?: FirstEnrollmentRange): AsyncGenerator<readonly Doctorate[]> {
  let after = 0;
  for (;;) {
    const page = await activeDoctorantPage(dbs, asOf, after, pageSize, range);
    if (page.lastKey === null) return;
    if (page.active.length > 0) yield page.active;
    after = page.lastKey;
  }
}

function inRange(date: PlainDate, range: FirstEnrollmentRange): boolean {
  return date <= range.to && (range.from === null || date >= range.from);
}

/**
 * The doctorants that may be active (and have their first enrollment in `range`), by id
 * after `afterId`: a superset narrow enough for an index on `doctorant_id` to do the work.
 * Without a range: a `VALIDÉ` row by `asOf` (an active doctorant's latest is one). With a
 * range: a row by `asOf` whose first enrollment is in it, whatever its statut (the row that
 * gives the earliest is one), so rows that disagree on the first enrollment cannot hide
 * anyone; the rule then reads all their rows.
 */
function candidates(inscription: DatabaseHandle<InscriptionDb>, asOf: PlainDate, afterId: number, range?: FirstEnrollmentRange) {
  const rows = inscription.db.selectFrom('inscriptions').select('doctorant_id').distinct().where('doctorant_id', '>', afterId).where('date_inscription', '<=', asOf);
  if (!range) return rows.where('statut', '=', 'VALIDÉ');
  const upTo = rows.where('date_premiere_inscription', '<=', range.to);
  return range.from === null ? upTo : upTo.where('date_premiere_inscription', '>=', range.from);
}
