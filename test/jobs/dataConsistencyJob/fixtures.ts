/**
 * Planted inconsistencies for dataConsistencyJob, one of each kind, beside rows that must
 * stay as they are. RUN_AT is the first night; every planted file is older than a day then,
 * except `recent.pdf`.
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestEnvironment } from '../../support/databases.js';

export const RUN_AT = '2026-12-01T22:00:00Z';
export const NEXT_NIGHT = '2026-12-02T22:00:00Z';
export const ADMIN = 'admin@univ-exemple.fr';
export const DIRECTEUR = 'directeur@univ-exemple.fr';
export const TECH = 'dsi@univ-exemple.fr';
/** The SMTP test server refuses this mailbox. */
export const REFUSED = 'inconnu@univ-exemple.fr';
const AT = '2024-01-01 00:00:00';

export async function plant(env: TestEnvironment): Promise<void> {
  const user = (id: number, email: string) => ({ id, email, nom: `Nom${id}`, prenom: `Prénom${id}`, enabled: 1, created_at: AT });
  await env.databases.user.db
    .insertInto('users')
    .values([user(1, ADMIN), user(2, DIRECTEUR), ...[10, 11, 12, 13, 14].map((id) => user(id, `d${id}@univ-exemple.fr`))])
    .execute();
  await env.databases.user.db
    .insertInto('user_roles')
    .values([
      { user_id: 1, role: 'ROLE_ADMIN' },
      { user_id: 2, role: 'ROLE_DIRECTEUR' },
      { user_id: 11, role: 'ROLE_DOCTORANT_ACTIF' }, // 5.7: defended, loses ACTIF, gains DOCTEUR
      { user_id: 12, role: 'ROLE_DOCTORANT_ACTIF' }, // right already
      { user_id: 13, role: 'ROLE_DOCTORANT_ACTIF' }, // 5.6: no longer active (latest inscription SUSPENDU): loses ACTIF
      { user_id: 14, role: 'ROLE_DOCTORANT_ACTIF' }, // right already
    ])
    .execute();
  const inscription = (id: number, doctorant: number, statut: string, archived = 0, dates: { inscription?: string; premiere?: string } = {}) => ({
    id, doctorant_id: doctorant, directeur_id: 2, sujet_these: `Sujet ${id}`, annee_universitaire: '2025-2026', type: 'PREMIERE',
    date_inscription: dates.inscription ?? '2025-10-01', date_premiere_inscription: dates.premiere ?? '2023-10-01', statut, motif_suspension: null, archived, created_at: AT, updated_at: AT,
  });
  await env.databases.inscription.db
    .insertInto('inscriptions')
    .values([
      inscription(1, 10, 'VALIDÉ'), // 5.6: user 10 gains ACTIF
      inscription(2, 11, 'VALIDÉ'),
      inscription(3, 12, 'VALIDÉ'),
      inscription(4, 900, 'EN_ATTENTE'), // no such user: suspended
      inscription(5, 901, 'REJETÉ'), // no such user: an anomaly, left as it is
      inscription(6, 902, 'VALIDÉ', 1), // no such user, archived: an anomaly, left as it is
      inscription(7, 12, 'SUSPENDU', 0, { inscription: '2024-10-01' }), // an earlier year: 12's latest is 3, VALIDÉ
      inscription(8, 13, 'VALIDÉ', 0, { inscription: '2024-10-01' }),
      inscription(9, 13, 'SUSPENDU'),
      inscription(10, 14, 'VALIDÉ', 0, { inscription: '2024-10-01', premiere: '2022-10-01' }), // rows that disagree: PREMIERE_INSCRIPTION_DIVERGENTE
      inscription(11, 14, 'VALIDÉ'),
    ])
    .execute();
  const soutenance = (id: number, inscriptionId: number, doctorant: number, statut: string) => ({
    id, doctorant_id: doctorant, inscription_id: inscriptionId, directeur_id: 2, titre_these: `Thèse ${id}`, statut, date_soutenance: '2026-06-01', mention: null,
    pv_signe: 1, motif_blocage: null, archived: 0, created_at: AT, updated_at: AT,
  });
  await env.databases.defense.db
    .insertInto('soutenances')
    .values([
      soutenance(1, 2, 11, 'SOUTENUE'),
      soutenance(2, 7, 12, 'DEMANDEE'), // inscription SUSPENDU: blocked
      soutenance(3, 999, 12, 'PLANIFIEE'), // inscription missing: blocked
      soutenance(4, 3, 12, 'AUTORISEE'), // fine
    ])
    .execute();
  const uploads = env.config.uploadsDir;
  const file = (chemin: string, content: string, old = true) => {
    const full = path.join(uploads, chemin);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
    // Young on both nights: written after RUN_AT, less than a day before NEXT_NIGHT.
    const when = old ? new Date('2026-11-01T00:00:00Z') : new Date('2026-12-02T12:00:00Z');
    utimesSync(full, when, when);
  };
  file('inscriptions/1/these.pdf', 'thèse');
  file('inscriptions/1/oublie.pdf', 'orphelin'); // orphan: moved
  file('inscriptions/1/recent.pdf', 'récent', false); // unreferenced but younger than a day: kept
  file('inscriptions/3/th\u0065\u0300se.pdf', 'NFD on disk'); // referenced in NFC
  file('soutenances/1/pv.pdf', 'pv');
  const doc = (inscriptionId: number, chemin: string) => ({ inscription_id: inscriptionId, type: 'PIECE', nom_fichier: path.basename(chemin), chemin, taille: 1, created_at: AT });
  await env.databases.inscription.db
    .insertInto('documents')
    .values([
      doc(1, 'inscriptions/1/these.pdf'),
      doc(1, 'inscriptions/1/manquant.pdf'), // missing: FICHIER_MANQUANT
      doc(3, 'inscriptions/3/th\u00e8se.pdf'),
      doc(6, 'inscriptions/6/archive.pdf'), // gone with its archived record: not an anomaly
    ])
    .execute();
  await env.databases.defense.db.insertInto('soutenance_documents').values({ soutenance_id: 1, type: 'PV', nom_fichier: 'pv.pdf', chemin: 'soutenances/1/pv.pdf', taille: 2, created_at: AT }).execute();
  const notification = (id: number, to: string, statut: string, created: string) => ({
    id, user_id: null, destinataire_email: to, type: 'INFO', sujet: `Sujet ${id} — é`, contenu: `Contenu ${id}`, statut, tentatives: 0, derniere_erreur: null, created_at: created, sent_at: null,
  });
  await env.databases.notification.db
    .insertInto('notifications')
    .values([
      notification(1, 'd10@univ-exemple.fr', 'PENDING', '2026-11-29 08:00:00'), // re-sent
      notification(2, REFUSED, 'PENDING', '2026-11-29 08:00:00'), // refused: FAILED
      notification(3, 'd11@univ-exemple.fr', 'PENDING', '2026-12-02 08:00:00'), // less than 24 h old on both nights: kept
      notification(4, 'd12@univ-exemple.fr', 'FAILED', '2026-11-01 08:00:00'), // untouched
    ])
    .execute();
}
