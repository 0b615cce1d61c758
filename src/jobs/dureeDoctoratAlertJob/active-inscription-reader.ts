import type { DatabaseHandle } from '../../db/connect.js';
import type { InscriptionDb } from '../../db/schema/sibling-tables.js';
import { keysetReader } from '../../engine/keyset-reader.js';
import type { ItemReader, JsonObject } from '../../engine/types.js';
import type { PlainDate } from '../../doctorate/calendar.js';

export interface ActiveInscription {
  readonly id: number;
  readonly doctorantId: number;
  readonly directeurId: number | null;
  readonly datePremiereInscription: PlainDate;
}

/** First enrollments from `from` (none: no lower bound) to `to`, both included. */
export interface InscriptionRange {
  readonly from: PlainDate | null;
  readonly to: PlainDate;
}

/**
 * Active inscriptions (statut VALIDÉ, not archived) whose first enrollment falls in a
 * date range, by id pages of `pageSize` (2.8), resuming after the last id read.
 */
export function activeInscriptionReader(
  inscriptionDb: DatabaseHandle<InscriptionDb>,
  range: InscriptionRange,
  restored: JsonObject,
): ItemReader<ActiveInscription> {
  return keysetReader(restored, {
    fetch: async (afterId, limit) => {
      const rows = await activeAfter(inscriptionDb, range, afterId)
        .select(['id', 'doctorant_id', 'directeur_id', 'date_premiere_inscription'])
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        id: Number(row.id),
        doctorantId: Number(row.doctorant_id),
        directeurId: row.directeur_id === null ? null : Number(row.directeur_id),
        datePremiereInscription: row.date_premiere_inscription.slice(0, 10),
      }));
    },
    keyOf: (row) => row.id,
  });
}

/**
 * How many inscriptions the reader has still to return after `afterId`: the step's
 * estimate, the reader's condition counted once. The band itself is decided per item
 * by the processor, so the step reads (and counts) the whole candidate range.
 */
export async function countActiveInscriptions(inscriptionDb: DatabaseHandle<InscriptionDb>, range: InscriptionRange, afterId: number): Promise<number> {
  const row = await activeAfter(inscriptionDb, range, afterId)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The reader's condition, in one place for the page and the count. */
function activeAfter(inscriptionDb: DatabaseHandle<InscriptionDb>, range: InscriptionRange, afterId: number) {
  const query = inscriptionDb.db
    .selectFrom('inscriptions')
    .where('id', '>', afterId)
    .where('statut', '=', 'VALIDÉ')
    .where('archived', '=', 0)
    .where('date_premiere_inscription', '<=', range.to);
  return range.from === null ? query : query.where('date_premiere_inscription', '>=', range.from);
}
