/**
 * Property 18 (3.6): for any figures — empty months included — the PDF has every section,
 * its two charts as vector drawings, an « Alertes » section exactly when there is
 * something to report, and « Généré le … — page x / y » on every page with the right x
 * and y; read back with PDF.js.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reportDocument } from '../../../src/jobs/monthlyReportJob/report-document.js';
import { reportPeriod } from '../../../src/jobs/monthlyReportJob/report-period.js';
import type { ReportAlerts } from '../../../src/jobs/monthlyReportJob/report-alerts.js';
import type { MonthFigures } from '../../../src/jobs/monthlyReportJob/report-snapshot.js';
import { readPdf } from '../../support/pdf.js';

const count = fc.nat({ max: 5_000 });
const ratio = fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null });
const tally = (keys: readonly string[]) => fc.dictionary(fc.constantFrom(...keys), count, { maxKeys: keys.length });

const figures: fc.Arbitrary<MonthFigures> = fc.record({
  enrollment: fc.record({
    newInscriptions: fc.record({ total: count, premiere: count, reinscription: count }),
    byStatut: tally(['EN_ATTENTE', 'VALIDÉ', 'REJETÉ', 'SUSPENDU']),
    validation: fc.record({ validated: count, decided: count, undecided: count, rate: ratio }),
    activeDoctorants: count,
    topDirecteurs: fc.array(fc.record({ directeurId: fc.nat(), nom: fc.constantFrom('Hélène Lefèvre', 'Zoé Ménard', 'Jean-Noël Briançon'), doctorants: count }), { maxLength: 14 }),
    durationBands: fc.record({ moins3Ans: count, troisAns: count, sixAns: count, depassement: count }),
    trend: fc.array(count, { minLength: 12, maxLength: 12 }).map((values) => values.map((c, i) => ({ month: `2026-${String(i + 1).padStart(2, '0')}`, count: c }))),
  }),
  defense: fc.record({
    requests: count,
    held: count,
    byMention: tally(['HONORABLE', 'TRES_HONORABLE', 'TRES_HONORABLE_FELICITATIONS']),
    meanDelayDays: fc.option(fc.double({ min: 0, max: 900, noNaN: true }), { nil: null }),
    medianDelayDays: fc.option(fc.double({ min: 0, max: 900, noNaN: true }), { nil: null }),
  }),
  notification: fc.record({
    byStatut: tally(['SENT', 'FAILED', 'PENDING']),
    byType: tally(['RAPPEL', 'COMPTE_CREE']),
    total: count,
    deliveryRate: ratio,
    pendingOver24h: fc.nat({ max: 3 }),
  }),
  user: fc.record({ newAccounts: count, newByRole: tally(['ROLE_ADMIN', 'ROLE_DOCTORANT']), accounts: count, byRole: tally(['ROLE_ADMIN', 'ROLE_DOCTORANT']), enabled: count, disabled: count }),
  alerts: fc.record({
    failedExecutions: fc.nat({ max: 3 }),
    failures: fc.array(fc.record({ jobName: fc.constant('tokenCleanupJob'), executionId: fc.nat(), exitCode: fc.constant('FAILED'), message: fc.constant('échec de l’étape') }), { maxLength: 3 }),
    durationOverruns: fc.nat({ max: 3 }),
    openAnomalies: fc.nat({ max: 40 }),
    anomaliesNeedingAPerson: fc.nat({ max: 40 }),
    anomalies: fc.array(
      fc.record({
        type: fc.constantFrom('UTILISATEUR_INEXISTANT', 'FICHIER_MANQUANT', 'NOUVEAU_TYPE'),
        entity: fc.constant('inscription'),
        entityId: fc.nat(),
        action: fc.constantFrom('AUTO_CORRIGÉE', 'INTERVENTION_REQUISE'),
        firstSeen: fc.constant('2026-10-03T21:00:00.000Z'),
      }),
      { maxLength: 5 },
    ),
  }) satisfies fc.Arbitrary<ReportAlerts>,
});

async function render(current: MonthFigures, previous: MonthFigures, fromSnapshot: boolean): Promise<Uint8Array> {
  const doc = reportDocument({
    period: reportPeriod('2026-11', 'Europe/Paris'),
    current,
    previous,
    computedAt: new Date('2026-12-01T08:00:00Z'),
    fromSnapshot,
    logo: { svg: readFileSync(new URL('../../../assets/logo.svg', import.meta.url), 'utf8') },
    generatedAt: new Date('2026-12-01T08:00:00Z'),
    timeZone: 'Europe/Paris',
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve) => doc.on('end', resolve));
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}

describe('the report document', () => {
  it('Property 18: every section, the charts, alerts only when due, and a correct footer on every page', async () => {
    await fc.assert(
      fc.asyncProperty(figures, figures, fc.boolean(), async (current, previous, fromSnapshot) => {
        const pages = await readPdf(await render(current, previous, fromSnapshot));
        const text = pages.map((p) => p.text).join('\n');
        expect(text).toContain('Rapport mensuel — novembre 2026');
        for (const section of ['Inscriptions', 'Soutenances', 'Notifications', 'Utilisateurs', 'Nouvelles inscriptions sur 12 mois']) expect(text).toContain(section);
        const { alerts } = current;
        const due = alerts.failedExecutions + alerts.durationOverruns + alerts.openAnomalies + current.notification.pendingOver24h > 0;
        expect(/\bAlertes\b/.test(text)).toBe(due);
        expect(pages[0]!.paths).toBeGreaterThan(20);
        pages.forEach((page, i) => expect(page.text).toContain(`Généré le 1er décembre 2026 à 09:00 — page ${i + 1} / ${pages.length}`));
        expect(text).toMatch(/calculés\s+le\s+1er\s+décembre\s+2026\s+à\s+09:00/);
        expect(/conservés\s+depuis/.test(text)).toBe(fromSnapshot);
        expect(text).not.toMatch(/NaN|undefined|Infinity/);
      }),
      { numRuns: 25 },
    );
  });
});
