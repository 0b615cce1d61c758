/**
 * Property 23 (4.2, 4.4): at any `runAt`, the records archiveJob takes are exactly the
 * inscriptions VALIDÉ or REJETÉ not updated for a year and the defenses SOUTENUE more than
 * a year ago with their minutes signed, none already archived — checked on a dry run,
 * which archives nothing and reports what it would.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app.js';
import { sqlTimestampMillis } from '../../../src/db/sql-time.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';

const RUN_AT = new Date('2027-03-15T12:00:00Z');
const YEAR_AGO = Date.parse('2026-03-15T12:00:00Z');
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const around = fc.oneof(fc.integer({ min: YEAR_AGO - 90 * 86_400_000, max: YEAR_AGO + 90 * 86_400_000 }), fc.integer({ min: -2000, max: 2000 }).map((d) => YEAR_AGO + d));

describe.each(dialects)('archive candidates (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App;
  let run = 0;
  beforeAll(async () => {
    env = await createTestEnvironment(dialect, { ARCHIVE_KEYS: `k1:${randomBytes(32).toString('base64')}` });
    app = await createApp(env.config, silentLogger);
  });
  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('Property 23: exactly the closed records past a year, counted by a dry run that changes nothing', async () => {
    const inscription = fc.record({ statut: fc.constantFrom('EN_ATTENTE', 'VALIDÉ', 'REJETÉ', 'SUSPENDU'), updated: around, archived: fc.boolean() });
    const soutenance = fc.record({ statut: fc.constantFrom('DEMANDEE', 'SOUTENUE', 'REJETEE'), date: fc.option(around.map(day), { nil: null }), pvSigne: fc.boolean(), archived: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(inscription, { maxLength: 30 }), fc.array(soutenance, { maxLength: 30 }), async (inscriptions, soutenances) => {
        await env.databases.inscription.db.deleteFrom('inscriptions').execute();
        await env.databases.defense.db.deleteFrom('soutenances').execute();
        const at = '2020-01-01 00:00:00';
        if (inscriptions.length > 0) {
          await env.databases.inscription.db.insertInto('inscriptions').values(inscriptions.map((r, i) => ({
            id: i + 1, doctorant_id: 1, directeur_id: null, sujet_these: null, annee_universitaire: null, type: 'PREMIERE', date_inscription: '2020-01-01',
            date_premiere_inscription: '2020-01-01', statut: r.statut, motif_suspension: null, archived: r.archived ? 1 : 0, created_at: at, updated_at: sqlTimestampMillis(new Date(r.updated)),
          }))).execute();
        }
        if (soutenances.length > 0) {
          await env.databases.defense.db.insertInto('soutenances').values(soutenances.map((s, i) => ({
            id: i + 1, doctorant_id: 1, inscription_id: 1, directeur_id: null, titre_these: null, statut: s.statut, date_soutenance: s.date, mention: null,
            pv_signe: s.pvSigne ? 1 : 0, motif_blocage: null, archived: s.archived ? 1 : 0, created_at: at, updated_at: at,
          }))).execute();
        }
        const done = await (await app.operator.start('archiveJob', { parameters: { runAt: RUN_AT.toISOString(), run: String(++run) }, dryRun: true, trigger: 'CLI' })).done;
        expect(done.status).toBe('COMPLETED');
        const steps = new Map((await app.repository.stepExecutions(done.id)).map((s) => [s.stepName, s.counts.read]));
        const expectedInscriptions = inscriptions.filter((r) => ['VALIDÉ', 'REJETÉ'].includes(r.statut) && r.updated < YEAR_AGO && !r.archived).length;
        const expectedDefenses = soutenances.filter((s) => s.statut === 'SOUTENUE' && s.date !== null && s.date < '2026-03-15' && s.pvSigne && !s.archived).length;
        expect(steps.get('archiveEnrollmentsStep')).toBe(expectedInscriptions);
        expect(steps.get('archiveDefensesStep')).toBe(expectedDefenses);
        expect(done.metrics.dryRun).toMatchObject({ enrollmentsArchived: expectedInscriptions, defensesArchived: expectedDefenses });
        const flags = await env.databases.inscription.db.selectFrom('inscriptions').select('archived').orderBy('id').execute();
        expect(flags.map((f) => Boolean(Number(f.archived)))).toEqual(inscriptions.map((r) => r.archived));
        expect(await env.databases.batch.db.selectFrom('inscription_archive').selectAll().execute()).toEqual([]);
      }),
      { numRuns: dialect === 'sqlite' ? 30 : 12 },
    );
  });
});
