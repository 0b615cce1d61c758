/** Sibling data with planted figures for October 2026 (Europe/Paris), for monthlyReportJob tests. */
import type { TestEnvironment } from '../../support/databases.js';

export const MONTH = '2026-10';
export const ADMINS = ['admin.a@univ-exemple.fr', 'admin.b@univ-exemple.fr', 'admin.c@univ-exemple.fr'];

export async function seedOctober(env: TestEnvironment, admins: readonly string[] = ADMINS): Promise<void> {
  const at = '2025-01-01 00:00:00';
  await env.databases.user.db
    .insertInto('users')
    .values([
      ...admins.map((email, i) => ({ id: 1 + i, email, nom: `Admin${i}`, prenom: 'Anne', enabled: 1, created_at: at })),
      { id: 50, email: 'ancien.admin@univ-exemple.fr', nom: 'Ancien', prenom: 'Admin', enabled: 0, created_at: at },
      { id: 60, email: 'directeur@univ-exemple.fr', nom: 'Lefèvre', prenom: 'Hélène', enabled: 1, created_at: at },
      // Created 1 October 00:30 in Paris, 30 September 22:30 UTC: an October account.
      { id: 100, email: 'doc.a@univ-exemple.fr', nom: 'Moreau', prenom: 'Élise', enabled: 1, created_at: '2026-09-30 22:30:00' },
      { id: 101, email: 'doc.b@univ-exemple.fr', nom: 'Petit', prenom: 'Noé', enabled: 1, created_at: '2026-10-15 10:00:00' },
      { id: 102, email: 'doc.c@univ-exemple.fr', nom: 'Roux', prenom: 'Inès', enabled: 1, created_at: '2026-09-30 21:30:00' },
    ])
    .execute();
  await env.databases.user.db
    .insertInto('user_roles')
    .values([
      ...admins.map((_, i) => ({ user_id: 1 + i, role: 'ROLE_ADMIN' })),
      { user_id: 50, role: 'ROLE_ADMIN' },
      { user_id: 60, role: 'ROLE_DIRECTEUR' },
      { user_id: 100, role: 'ROLE_DOCTORANT' },
      { user_id: 101, role: 'ROLE_DOCTORANT' },
      { user_id: 102, role: 'ROLE_DOCTORANT' },
    ])
    .execute();
  const inscription = (id: number, doctorant: number, date: string, type: string, statut: string, first = date) => ({
    id, doctorant_id: doctorant, directeur_id: 60, sujet_these: 'Sujet', annee_universitaire: '2026-2027', type, date_inscription: date,
    date_premiere_inscription: first, statut, motif_suspension: null, archived: 0, created_at: at, updated_at: at,
  });
  await env.databases.inscription.db
    .insertInto('inscriptions')
    .values([
      inscription(1, 100, '2026-10-01', 'PREMIERE', 'VALIDÉ'),
      inscription(2, 101, '2026-10-31', 'PREMIERE', 'VALIDÉ'),
      inscription(3, 102, '2026-10-12', 'REINSCRIPTION', 'REJETÉ', '2022-10-01'),
      inscription(4, 102, '2026-09-30', 'REINSCRIPTION', 'VALIDÉ', '2022-10-01'),
      inscription(5, 103, '2026-11-01', 'PREMIERE', 'VALIDÉ'),
    ])
    .execute();
  const soutenance = (id: number, statut: string, date: string | null, mention: string | null, created: string) => ({
    id, doctorant_id: 102, inscription_id: 4, directeur_id: 60, titre_these: 'Thèse', statut, date_soutenance: date, mention, pv_signe: 1,
    motif_blocage: null, archived: 0, created_at: created, updated_at: created,
  });
  await env.databases.defense.db
    .insertInto('soutenances')
    .values([
      soutenance(1, 'SOUTENUE', '2026-10-05', 'TRES_HONORABLE', '2026-06-07 09:00:00'),
      soutenance(2, 'SOUTENUE', '2026-10-20', 'TRES_HONORABLE_FELICITATIONS', '2026-07-22 09:00:00'),
      soutenance(3, 'DEMANDEE', null, null, '2026-10-02 09:00:00'),
      soutenance(4, 'SOUTENUE', '2026-09-30', 'HONORABLE', '2026-05-01 09:00:00'),
    ])
    .execute();
  const notification = (statut: string, created: string, type = 'RAPPEL') => ({
    user_id: 100, destinataire_email: 'doc.a@univ-exemple.fr', type, sujet: 'Sujet', contenu: 'Contenu', statut, tentatives: 1, derniere_erreur: null,
    created_at: created, sent_at: statut === 'SENT' ? created : null,
  });
  await env.databases.notification.db
    .insertInto('notifications')
    .values([
      notification('SENT', '2026-10-03 08:00:00', 'INSCRIPTION_VALIDEE'),
      notification('SENT', '2026-10-03 08:00:00'),
      notification('SENT', '2026-10-09 08:00:00'),
      notification('FAILED', '2026-10-10 08:00:00'),
      notification('SENT', '2026-09-30 21:59:59'),
      notification('PENDING', '2026-11-01 08:00:00'),
    ])
    .execute();
}
