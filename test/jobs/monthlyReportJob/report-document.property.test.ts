/**
 * Property 18 (3.6): for any figures — empty months included — the PDF has every section,
 * its two charts as vector drawings, an « Alertes » section exactly when there is
 * something to report, and « Généré le … — page x / y » on every page with the right x
 * and y; read back with PDF.js.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reportDocument, type MonthFigures } from '../../../src/jobs/monthlyReportJob/report-document.js';
import { reportPeriod } from '../../../src/jobs/monthlyReportJob/report-period.js';
import type { ReportAlerts } from '../../../src/jobs/monthlyReportJob/report-alerts.js';
import { readPdf } from '../../support/pdf.js';

const count = fc.nat({ max: 5_000 });
const ratio = fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null });
const tally = (keys: readonly string[]) => fc.dictionary(fc.constantFrom(...keys), count, { maxKeys: keys.length });

const figures: fc.Arbitrary<MonthFigures> = fc.record({
  enrollment: fc.record({
    newInscriptions: fc.record({ total: count, premiere: count, reinscription: count }),
    byStatut: tally(['EN_ATTENTE', 'VALIDÉ', 'REJETÉ', 'SUSPENDU']),
    validationRate: ratio,
    activeDoctorants: count,
    topDirecteurs: fc.array(fc.record({ directeurId: fc.nat(), nom: fc.constantFrom('Hélène Lefèvre', 'Zoé Ménard', 'Jean-Noël Briançon'), doctorants: count }), { maxLength: 10 }),
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
    successRate: ratio,
    pendingOver24h: fc.nat({ max: 3 }),
  }),
  user: fc.record({ newAccounts: count, newByRole: tally(['ROLE_ADMIN', 'ROLE_DOCTORANT']), byRole: tally(['ROLE_ADMIN', 'ROLE_DOCTORANT']), enabled: count, disabled: count }),
});
const alerts: fc.Arbitrary<ReportAlerts> = fc.record({
  failedExecutions: fc.nat({ max: 3 }),
  failures: fc.array(fc.record({ jobName: fc.constant('tokenCleanupJob'), executionId: fc.nat(), exitCode: fc.constant('FAILED'), message: fc.constant('échec de l’étape') }), { maxLength: 3 }),
  durationOverruns: fc.nat({ max: 3 }),
});

async function render(current: MonthFigures, previous: MonthFigures, alertList: ReportAlerts): Promise<Uint8Array> {
  const doc = reportDocument({
    period: reportPeriod('2026-11', 'Europe/Paris'),
    current,
    previous,
    alerts: alertList,
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
      fc.asyncProperty(figures, figures, alerts, async (current, previous, alertList) => {
        const pages = await readPdf(await render(current, previous, alertList));
        const text = pages.map((p) => p.text).join('\n');
        expect(text).toContain('Rapport mensuel — novembre 2026');
        for (const section of ['Inscriptions', 'Soutenances', 'Notifications', 'Utilisateurs', 'Nouvelles inscriptions sur 12 mois']) expect(text).toContain(section);
        const due = alertList.failedExecutions + alertList.durationOverruns + current.notification.pendingOver24h > 0;
        expect(/\bAlertes\b/.test(text)).toBe(due);
        expect(pages[0]!.paths).toBeGreaterThan(20);
        pages.forEach((page, i) => expect(page.text).toContain(`Généré le 1 décembre 2026 à 09:00 — page ${i + 1} / ${pages.length}`));
        expect(text).not.toMatch(/NaN|undefined|Infinity/);
      }),
      { numRuns: 25 },
    );
  });
});
