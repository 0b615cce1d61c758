/**
 * Who an anomaly is about, for its report (5.13): the doctorant and the directeur de thèse
 * behind each listed anomaly, by name, from the sibling databases. The ids come from the
 * anomaly's entity (an inscription, a soutenance, one of their documents, a doctorant) or
 * its details; names from userdb. Every lookup reads the ids it needs in pages of `IN`
 * lists (`pageSize` ids a query), never one query per anomaly: a report lists up to 500
 * anomalies per type.
 *
 * A doctorant whose account is missing (UTILISATEUR_INEXISTANT: that is the anomaly) has
 * no name: the report says so beside the id.
 */
import type { DatabaseHandle } from '../db/connect.js';
import type { DefenseDb, InscriptionDb, UserDb } from '../db/schema/sibling-tables.js';
import type { Anomaly } from './anomaly-store.js';

export interface Person {
  readonly id: number;
  /** « Prénom Nom » (the e-mail when the account has no name); null when no account has this id. */
  readonly name: string | null;
}

export interface AnomalyPeople {
  readonly doctorant?: Person;
  readonly directeur?: Person;
}

export interface PeopleDatabases {
  readonly user: DatabaseHandle<UserDb>;
  readonly inscription: DatabaseHandle<InscriptionDb>;
  readonly defense: DatabaseHandle<DefenseDb>;
}

type Keyed = Pick<Anomaly, 'entity' | 'entityId' | 'details'>;

/** `openKey`-like key of an anomaly's entity: what the returned map is keyed by. */
export const entityKey = (a: Pick<Anomaly, 'entity' | 'entityId'>) => `${a.entity}:${a.entityId}`;

/** Runs `query` over `ids` in pages of `pageSize`, and gathers the rows. */
async function inPages<T>(ids: Iterable<number>, pageSize: number, query: (page: number[]) => Promise<readonly T[]>): Promise<T[]> {
  const unique = [...new Set(ids)];
  const rows: T[] = [];
  for (let i = 0; i < unique.length; i += pageSize) rows.push(...(await query(unique.slice(i, i + pageSize))));
  return rows;
}

interface Link {
  readonly doctorantId?: number;
  readonly directeurId?: number | null;
}

/** The doctorant and directeur of each anomaly's entity, keyed by `entityKey`. */
export async function peopleOf(dbs: PeopleDatabases, anomalies: readonly Keyed[], pageSize = 500): Promise<Map<string, AnomalyPeople>> {
  const idsOf = (entity: string) => anomalies.filter((a) => a.entity === entity).map((a) => a.entityId);

  // Documents lead to their inscription or soutenance.
  const documents = await inPages(idsOf('document'), pageSize, (page) => dbs.inscription.db.selectFrom('documents').select(['id', 'inscription_id']).where('id', 'in', page).execute());
  const defenseDocuments = await inPages(idsOf('soutenance_document'), pageSize, (page) =>
    dbs.defense.db.selectFrom('soutenance_documents').select(['id', 'soutenance_id']).where('id', 'in', page).execute(),
  );
  const inscriptionOfDocument = new Map(documents.map((d) => [Number(d.id), Number(d.inscription_id)]));
  const soutenanceOfDocument = new Map(defenseDocuments.map((d) => [Number(d.id), Number(d.soutenance_id)]));

  const inscriptions = new Map<number, Link>(
    (
      await inPages([...idsOf('inscription'), ...inscriptionOfDocument.values()], pageSize, (page) =>
        dbs.inscription.db.selectFrom('inscriptions').select(['id', 'doctorant_id', 'directeur_id']).where('id', 'in', page).execute(),
      )
    ).map((i) => [Number(i.id), { doctorantId: Number(i.doctorant_id), directeurId: i.directeur_id === null ? null : Number(i.directeur_id) }]),
  );
  const soutenances = new Map<number, Link>(
    (
      await inPages([...idsOf('soutenance'), ...soutenanceOfDocument.values()], pageSize, (page) =>
        dbs.defense.db.selectFrom('soutenances').select(['id', 'doctorant_id', 'directeur_id']).where('id', 'in', page).execute(),
      )
    ).map((s) => [Number(s.id), { doctorantId: Number(s.doctorant_id), directeurId: s.directeur_id === null ? null : Number(s.directeur_id) }]),
  );
  // A doctorant's directeur: the one of the latest inscription (by date, then id).
  const latest = new Map<number, Link>();
  const ofDoctorants = await inPages(idsOf('doctorant'), pageSize, (page) =>
    dbs.inscription.db.selectFrom('inscriptions').select(['id', 'doctorant_id', 'directeur_id', 'date_inscription']).where('doctorant_id', 'in', page).orderBy('date_inscription').orderBy('id').execute(),
  );
  for (const i of ofDoctorants) latest.set(Number(i.doctorant_id), { doctorantId: Number(i.doctorant_id), directeurId: i.directeur_id === null ? null : Number(i.directeur_id) });

  const links = new Map<string, Link>();
  for (const a of anomalies) {
    const fromDetails = typeof a.details.doctorantId === 'number' ? a.details.doctorantId : undefined;
    let link: Link | undefined;
    if (a.entity === 'inscription') link = inscriptions.get(a.entityId);
    else if (a.entity === 'soutenance') link = soutenances.get(a.entityId);
    else if (a.entity === 'document') link = inscriptions.get(inscriptionOfDocument.get(a.entityId) ?? -1);
    else if (a.entity === 'soutenance_document') link = soutenances.get(soutenanceOfDocument.get(a.entityId) ?? -1);
    else if (a.entity === 'doctorant') link = latest.get(a.entityId) ?? { doctorantId: a.entityId };
    links.set(entityKey(a), { doctorantId: link?.doctorantId ?? fromDetails, directeurId: link?.directeurId ?? null });
  }

  const userIds = [...links.values()].flatMap((l) => [l.doctorantId, l.directeurId]).filter((id): id is number => typeof id === 'number');
  const users = new Map(
    (await inPages(userIds, pageSize, (page) => dbs.user.db.selectFrom('users').select(['id', 'prenom', 'nom', 'email']).where('id', 'in', page).execute())).map((u) => [
      Number(u.id),
      [u.prenom, u.nom].filter((part) => part && part.trim() !== '').join(' ').trim() || u.email,
    ]),
  );
  const person = (id: number | null | undefined): Person | undefined => (typeof id === 'number' ? { id, name: users.get(id) ?? null } : undefined);
  return new Map([...links].map(([key, l]) => [key, { doctorant: person(l.doctorantId), directeur: person(l.directeurId) }]));
}
