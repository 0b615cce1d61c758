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

/**
 * Active inscriptions (statut VALIDÉ, not archived) whose first enrollment falls in a
 * date range, by id pages of `pageSize` (2.8), resuming after the last id read.
 */
export function activeInscriptionReader(
  inscriptionDb: DatabaseHandle<InscriptionDb>,
  range: { from: PlainDate | null; to: PlainDate },
  restored: JsonObject,
): ItemReader<ActiveInscription> {
  return keysetReader(restored, {
    fetch: async (afterId, limit) => {
      let query = inscriptionDb.db
        .selectFrom('inscriptions')
        .select(['id', 'doctorant_id', 'directeur_id', 'date_premiere_inscription'])
        .where('id', '>', afterId)
        .where('statut', '=', 'VALIDÉ')
        .where('archived', '=', 0)
        .where('date_premiere_inscription', '<=', range.to);
      if (range.from !== null) query = query.where('date_premiere_inscription', '>=', range.from);
      const rows = await query.orderBy('id').limit(limit).execute();
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
