/**
 * Property 8 (2.3): every 3-year alert event carries the doctorant, the directeur, the
 * type, the dates, the duration and a French message naming the doctorant; and 2.5: a
 * 6-year alert is addressed to the admins as well as the doctorant and the directeur.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlTimestampMillis } from '../../../src/db/sql-time.js';
import type { AlertEvent } from '../../../src/events/event-types.js';
import { listEvents } from '../../../src/events/outbox.js';
import { operatorFor } from '../../engine/harness.js';
import { createTestEnvironment, type TestEnvironment } from '../../support/databases.js';
import { alertJob } from './fixtures.js';

const RUN_AT = '2026-03-15T12:00:00Z';
const created = sqlTimestampMillis(new Date('2015-01-01T00:00:00Z'));
const name = fc.stringMatching(/^[A-Za-zÀ-ÿ][a-zà-ÿ' -]{0,20}$/).filter((s) => s.trim() === s);
const pad = (n: number) => String(n).padStart(2, '0');

/** Whole years and months from `from` to 2026-03-15, and days: computed without the job's calendar module. */
function expectedDuration(from: string): { jours: number; annees: number; mois: number } {
  const [y, m, d] = from.split('-').map(Number) as [number, number, number];
  let months = (2026 - y) * 12 + (3 - m);
  if (15 < d) months--;
  const jours = Math.round((Date.UTC(2026, 2, 15) - Date.UTC(y, m - 1, d)) / 86_400_000);
  return { jours, annees: Math.floor(months / 12), mois: months % 12 };
}

interface Doctorant {
  readonly nom: string;
  readonly prenom: string;
  readonly firstEnrollment: string;
  readonly withDirecteur: boolean;
}

// In the 3-year band at 2026-03-15: enrolled from 2020-09-16 (6 years - 6 months) to 2023-03-15.
const threeYearDate = fc.integer({ min: Date.UTC(2020, 8, 16), max: Date.UTC(2023, 2, 15) }).map((ms) => {
  const date = new Date(ms);
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
});

describe('alert events (sqlite)', () => {
  let env: TestEnvironment;
  let instance = 0;
  beforeAll(async () => {
    env = await createTestEnvironment('sqlite');
  });
  afterAll(() => env?.cleanup());

  async function run(doctorants: readonly Doctorant[], adminEmails: readonly string[] = []): Promise<AlertEvent[]> {
    for (const table of ['alerte_duree_envoyee', 'event_outbox'] as const) await env.databases.batch.db.deleteFrom(table).execute();
    await env.databases.inscription.db.deleteFrom('inscriptions').execute();
    await env.databases.user.db.deleteFrom('user_roles').execute();
    await env.databases.user.db.deleteFrom('users').execute();
    const users = [
      { id: 2, email: 'directeur@univ-exemple.fr', nom: 'Durand', prenom: 'Paul', enabled: 1, created_at: created },
      ...adminEmails.map((email, i) => ({ id: 10 + i, email, nom: `Admin${i}`, prenom: 'A', enabled: 1, created_at: created })),
      ...doctorants.map((d, i) => ({ id: 100 + i, email: `doctorant${i}@univ-exemple.fr`, nom: d.nom, prenom: d.prenom, enabled: 1, created_at: created })),
    ];
    await env.databases.user.db.insertInto('users').values(users).execute();
    if (adminEmails.length > 0) await env.databases.user.db.insertInto('user_roles').values(adminEmails.map((_, i) => ({ user_id: 10 + i, role: 'ROLE_ADMIN' }))).execute();
    if (doctorants.length > 0) {
      await env.databases.inscription.db
        .insertInto('inscriptions')
        .values(
          doctorants.map((d, i) => ({
            id: 1000 + i, doctorant_id: 100 + i, directeur_id: d.withDirecteur ? 2 : null, sujet_these: 'Sujet', annee_universitaire: '2025-2026',
            type: 'REINSCRIPTION', date_inscription: '2025-09-01', date_premiere_inscription: d.firstEnrollment, statut: 'VALIDÉ',
            motif_suspension: null, archived: 0, created_at: created, updated_at: created,
          })),
        )
        .execute();
    }
    const operator = operatorFor(env.databases, [alertJob(env, { chunkSize: 3 })]);
    const done = await (await operator.start('dureeDoctoratAlertJob', { parameters: { runAt: RUN_AT, instance: String(++instance) }, trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    return (await listEvents(env.databases.batch.db, 'PENDING', 1000)).map((r) => JSON.parse(r.payload) as AlertEvent);
  }

  it('Property 8: every 3_ANS event names its doctorant, directeur, dates and duration, in French', async () => {
    const doctorant = fc.record({ nom: name, prenom: name, firstEnrollment: threeYearDate, withDirecteur: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(doctorant, { minLength: 1, maxLength: 6 }), async (doctorants) => {
        const events = await run(doctorants);
        expect(events).toHaveLength(doctorants.length);
        for (const event of events) {
          const i = event.doctorant.id - 100;
          const d = doctorants[i]!;
          expect(event).toMatchObject({
            type: 'DUREE_DOCTORAT_ALERT',
            typeAlerte: '3_ANS',
            doctorant: { id: 100 + i, nom: d.nom, prenom: d.prenom, email: `doctorant${i}@univ-exemple.fr` },
            directeur: d.withDirecteur ? { id: 2, email: 'directeur@univ-exemple.fr' } : null,
            inscriptionId: 1000 + i,
            datePremiereInscription: d.firstEnrollment,
            duree: expectedDuration(d.firstEnrollment),
            occurredAt: new Date(RUN_AT).toISOString(),
          });
          expect(event.message).toContain(`${d.prenom} ${d.nom}`);
          expect(event.message).toContain(`inscrit(e) en doctorat depuis le ${d.firstEnrollment.split('-').reverse().join('/')}`);
          expect(event.message).toMatch(/troisième année de doctorat/);
          expect(event.recipients).toEqual([`doctorant${i}@univ-exemple.fr`, ...(d.withDirecteur ? ['directeur@univ-exemple.fr'] : [])]);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('2.5: a 6_ANS alert goes to the admins too', async () => {
    const [event] = await run([{ nom: 'Martin', prenom: 'Léa', firstEnrollment: '2020-06-01', withDirecteur: true }], ['admin1@univ-exemple.fr', 'admin2@univ-exemple.fr']);
    expect(event?.typeAlerte).toBe('6_ANS');
    expect(event?.recipients).toEqual(['doctorant0@univ-exemple.fr', 'directeur@univ-exemple.fr', 'admin1@univ-exemple.fr', 'admin2@univ-exemple.fr']);
    expect(event?.message).toMatch(/^Léa Martin, .*approche de la durée maximale de 6 ans : la soutenance doit avoir lieu au plus tard le 01\/06\/2026\.$/);
  });
});
