/**
 * Issue 21, item 2: a rate counts what its label names, and a « top » list does not cut
 * a tie by id. Planted October: 10 inscriptions of which 4 undecided (EN_ATTENTE) and 2
 * SUSPENDU; 10 notifications of which 7 still pending; 12 directeurs, 10 of them tied
 * at one active doctorant each for the last places of the top 10.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { readPdf } from '../../support/pdf.js';

const at = '2026-01-01 00:00:00';

async function plant(env: TestEnvironment): Promise<void> {
  let id = 0;
  const inscription = (doctorant: number, directeur: number | null, date: string, statut: string) => ({
    id: ++id, doctorant_id: doctorant, directeur_id: directeur, sujet_these: 'Sujet', annee_universitaire: '2026-2027', type: 'PREMIERE', date_inscription: date,
    date_premiere_inscription: date, statut, motif_suspension: null, archived: 0, created_at: at, updated_at: at,
  });
  // Directeurs 200 and 201 with three active doctorants each, 202–211 with one each (all dated September).
  const perDirecteur = [3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
  let doctorant = 300;
  const active = perDirecteur.flatMap((n, i) => Array.from({ length: n }, () => inscription(doctorant++, 200 + i, '2026-09-15', 'VALIDÉ')));
  const october = ['VALIDÉ', 'VALIDÉ', 'VALIDÉ', 'REJETÉ', 'SUSPENDU', 'SUSPENDU', 'EN_ATTENTE', 'EN_ATTENTE', 'EN_ATTENTE', 'EN_ATTENTE'].map((statut, i) => inscription(400 + i, null, '2026-10-10', statut));
  await env.databases.inscription.db.insertInto('inscriptions').values([...active, ...october]).execute();
  const notification = (statut: string, created: string) => ({
    user_id: null, destinataire_email: 'x@univ-exemple.fr', type: 'RAPPEL', sujet: 'Sujet', contenu: 'Contenu', statut, tentatives: 0, derniere_erreur: null, created_at: created,
    sent_at: statut === 'SENT' ? created : null,
  });
  await env.databases.notification.db
    .insertInto('notifications')
    .values([
      ...['SENT', 'SENT', 'FAILED'].map((s) => notification(s, '2026-10-05 08:00:00')),
      // Five pending for days by the month's end, two created on its last evening.
      ...Array.from({ length: 5 }, () => notification('PENDING', '2026-10-20 08:00:00')),
      ...Array.from({ length: 2 }, () => notification('PENDING', '2026-10-31 18:00:00')),
      // September's: neither in October's rate nor among its warnings.
      notification('PENDING', '2026-09-12 08:00:00'),
    ])
    .execute();
}

describe.each(dialects)('monthly report rates and ties (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('rates name and count their numerator and denominator; the top 10 directeurs include everyone tied with the 10th', async () => {
    env = await createTestEnvironment(dialect, { BATCH_TIMEZONE: 'Europe/Paris' });
    await plant(env);
    app = await createApp(env.config, silentLogger);
    const done = await (await app.operator.start('monthlyReportJob', { parameters: { month: '2026-10' }, trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    const text = (await readPdf(await readFile(path.join(env.config.reportsDir, 'rapport_2026_10.pdf')))).map((p) => p.text).join('\n');

    // 3 validated among 6 decided (VALIDÉ, REJETÉ, SUSPENDU); the 4 pending are shown apart, not in the rate.
    expect(text).toMatch(/Taux de validation \(inscriptions validées \/ décidées\)\s+50 %/);
    expect(text).toMatch(/Inscriptions décidées \(validées, rejetées ou suspendues\)\s+6\s/);
    expect(text).toMatch(/Inscriptions non décidées \(en attente\)\s+4\s/);
    // 2 sent among the 10 created: the 7 pending count against delivery, and are shown.
    expect(text).toMatch(/Notifications\s+envoyées\s+\/\s+créées\s+20 %/);
    expect(text).toMatch(/Taux d’envoi \(envoyées \/ créées dans le mois, en attente comprises\)\s+20 %/);
    expect(text).toMatch(/dont en attente \(statut au calcul\)\s+7\s/);
    // Pending for more than 24 hours by the month's end: the five of the 20th, not the two of the last evening.
    expect(text).toContain('5 notification(s) créée(s) ce mois-ci encore en attente plus de 24 heures après leur création.');

    expect(text).toMatch(/Directeurs de thèse : les 10 premiers — 12 avec les ex æquo\s+Doctorants actifs/);
    const listed = [...text.matchAll(/directeur n° (\d+)\s+(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(listed).toEqual([[200, 3], [201, 3], ...Array.from({ length: 10 }, (_, i) => [202 + i, 1])]);
  });
});
