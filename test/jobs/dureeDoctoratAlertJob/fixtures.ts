/** Users and inscriptions for dureeDoctoratAlertJob tests, and the job wired to a test environment. */
import type { Databases } from '../../../src/db/databases.js';
import { sqlTimestampMillis } from '../../../src/db/sql-time.js';
import type { JobDefinition } from '../../../src/engine/types.js';
import type { AlertCandidate } from '../../../src/jobs/dureeDoctoratAlertJob/alert-writer.js';
import { dureeDoctoratAlertJob } from '../../../src/jobs/dureeDoctoratAlertJob/duree-doctorat-alert-job.js';
import type { TestEnvironment } from '../../support/databases.js';

export const ADMIN_ID = 1;
export const DIRECTEUR_ID = 2;
const created = sqlTimestampMillis(new Date('2015-01-01T00:00:00Z'));

/** An admin (id 1), a directeur (id 2), and one doctorant per first-enrollment date (ids from 100). */
export async function seedDoctorants(env: TestEnvironment, firstEnrollments: readonly string[], options: { missingUsers?: readonly number[] } = {}): Promise<number[]> {
  const user = env.databases.user.db;
  const users = [
    { id: ADMIN_ID, email: 'admin@univ-exemple.fr', nom: 'Admin', prenom: 'Alice', enabled: 1, created_at: created },
    { id: DIRECTEUR_ID, email: 'directeur@univ-exemple.fr', nom: 'Durand', prenom: 'Paul', enabled: 1, created_at: created },
  ];
  const doctorantIds = firstEnrollments.map((_, i) => 100 + i);
  for (const id of doctorantIds) {
    if (!options.missingUsers?.includes(id)) users.push({ id, email: `doctorant${id}@univ-exemple.fr`, nom: `Nom${id}`, prenom: 'Élodie', enabled: 1, created_at: created });
  }
  for (let i = 0; i < users.length; i += 400) await user.insertInto('users').values(users.slice(i, i + 400)).execute();
  await user.insertInto('user_roles').values([
    { user_id: ADMIN_ID, role: 'ROLE_ADMIN' },
    { user_id: DIRECTEUR_ID, role: 'ROLE_DIRECTEUR' },
  ]).execute();
  const rows = firstEnrollments.map((dpi, i) => ({
    id: 1000 + i,
    doctorant_id: doctorantIds[i]!,
    directeur_id: DIRECTEUR_ID,
    sujet_these: 'Sujet',
    annee_universitaire: '2025-2026',
    type: 'REINSCRIPTION',
    date_inscription: '2025-09-01',
    date_premiere_inscription: dpi,
    statut: 'VALIDÉ',
    motif_suspension: null,
    archived: 0,
    created_at: created,
    updated_at: created,
  }));
  for (let i = 0; i < rows.length; i += 400) await env.databases.inscription.db.insertInto('inscriptions').values(rows.slice(i, i + 400)).execute();
  return doctorantIds;
}

export function alertJob(
  env: TestEnvironment,
  options: { afterAlertsRecorded?: (alerts: readonly AlertCandidate[]) => void | Promise<void>; name?: string; chunkSize?: number; batch?: Databases['batch'] } = {},
): JobDefinition {
  const job = dureeDoctoratAlertJob({
    batch: options.batch ?? env.databases.batch,
    user: env.databases.user,
    inscription: env.databases.inscription,
    defense: env.databases.defense,
    topic: 'notifications',
    timeZone: 'UTC',
    warningMonths: 6,
    chunkSize: options.chunkSize ?? 50,
    skipLimit: 10,
    afterAlertsRecorded: options.afterAlertsRecorded,
  });
  return options.name ? { ...job, name: options.name } : job;
}

export interface AlertState {
  readonly alerts: readonly string[];
  readonly events: readonly string[];
  readonly suspended: readonly number[];
}

/** What the job leaves behind, in a comparable form: alerts, events (type:doctorant), suspended inscriptions. */
export async function alertState(env: TestEnvironment): Promise<AlertState> {
  const alerts = await env.databases.batch.db.selectFrom('alerte_duree_envoyee').select(['doctorant_id', 'type_alerte']).execute();
  const events = await env.databases.batch.db.selectFrom('event_outbox').select(['payload']).where('event_type', '=', 'DUREE_DOCTORAT_ALERT').execute();
  const suspended = await env.databases.inscription.db.selectFrom('inscriptions').select('id').where('statut', '=', 'SUSPENDU').where('motif_suspension', '=', 'DUREE_MAXIMALE_DEPASSEE').execute();
  return {
    alerts: alerts.map((a) => `${a.type_alerte}:${a.doctorant_id}`).sort(),
    events: events.map((e) => JSON.parse(e.payload) as { typeAlerte: string; doctorant: { id: number } }).map((e) => `${e.typeAlerte}:${e.doctorant.id}`).sort(),
    suspended: suspended.map((s) => Number(s.id)).sort((a, b) => a - b),
  };
}
