/**
 * What each step of the alert job reads: the doctorants active at the run's date (the one
 * definition, doctorate/active-doctorant.ts) whose first enrollment may fall in the step's
 * band, minus those already alerted for that band. The alerts already sent are dropped
 * here, one batchdb look-up a page, before anything is processed: so what a dry run
 * announces is what the next real run sends, and a run after a run announces nothing.
 *
 * One exception keeps a crash harmless: an alert recorded by an earlier execution of this
 * same instance (a restart after a crash between recording the alert and suspending the
 * inscription, alert-writer.ts) is read again, so the suspension still happens; recording
 * it again inserts nothing.
 */
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../db/connect.js';
import type { BatchDb } from '../../db/schema/batch-tables.js';
import { filteredKeysetReader } from '../../engine/keyset-reader.js';
import type { ItemReader, JsonObject } from '../../engine/types.js';
import type { TypeAlerte } from '../../events/event-types.js';
import type { PlainDate } from '../../doctorate/calendar.js';
import { activeDoctorantPage, countDoctorantCandidates, type DoctorateDatabases, type FirstEnrollmentRange } from '../../doctorate/active-doctorant.js';

/** A doctorant the step may alert, through the inscription that makes them active (2.6 suspends it). */
export interface ActiveInscription {
  /** The latest inscription dated by the run's date. */
  readonly id: number;
  readonly doctorantId: number;
  readonly directeurId: number | null;
  /** The earliest first-enrollment date of their rows: where the duration runs from. */
  readonly datePremiereInscription: PlainDate;
}

export interface CandidateQuery {
  readonly band: TypeAlerte;
  readonly runDate: PlainDate;
  readonly range: FirstEnrollmentRange;
  readonly jobExecutionId: number;
}

export function alertCandidateReader(dbs: DoctorateDatabases & { readonly batch: DatabaseHandle<BatchDb> }, query: CandidateQuery, restored: JsonObject): ItemReader<ActiveInscription> {
  return filteredKeysetReader(restored, {
    fetch: async (afterId, limit) => {
      const page = await activeDoctorantPage(dbs, query.runDate, afterId, limit, query.range);
      const alerted = await alreadyAlerted(dbs.batch, query, page.active.map((d) => d.doctorantId));
      const items = page.active
        .filter((d) => !alerted.has(d.doctorantId))
        .map((d) => ({ id: d.latest.id, doctorantId: d.doctorantId, directeurId: d.latest.directeurId, datePremiereInscription: d.firstEnrollment }));
      return { items, lastKey: page.lastKey };
    },
  });
}

/** The step's estimate: the doctorants it will examine (an upper bound of those it reads). */
export function countAlertCandidates(dbs: DoctorateDatabases, query: CandidateQuery, afterId: number): Promise<number> {
  return countDoctorantCandidates(dbs.inscription, query.runDate, afterId, query.range);
}

/** Which of `doctorantIds` another instance already alerted for this band (2.7). */
async function alreadyAlerted(batch: DatabaseHandle<BatchDb>, query: CandidateQuery, doctorantIds: readonly number[]): Promise<Set<number>> {
  if (doctorantIds.length === 0) return new Set();
  const thisInstance = sql<number>`(select job_instance_id from batch_job_execution where id = ${query.jobExecutionId})`;
  const rows = await batch.db
    .selectFrom('alerte_duree_envoyee as a')
    .leftJoin('batch_job_execution as e', 'e.id', 'a.job_execution_id')
    .select('a.doctorant_id')
    .where('a.type_alerte', '=', query.band)
    .where('a.doctorant_id', 'in', doctorantIds)
    .where((eb) => eb.or([eb('e.job_instance_id', 'is', null), eb('e.job_instance_id', '<>', thisInstance)]))
    .execute();
  return new Set(rows.map((r) => Number(r.doctorant_id)));
}
