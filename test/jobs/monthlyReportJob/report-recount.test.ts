/**
 * Issue 21, items 2 and 5: every figure of the October 2026 report, and of September
 * (the month it compares with), equals an independent recount in plain SQL written in
 * the test (demo-month.ts), on demo data at scale 3 — more doctorants than a page of the
 * report's reader — with the hand-made cases demo data may lack. The PDF shows the
 * recounted people: « Doctorants actifs » and a duration table adding up to it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app.js';
import { ACTIVE_DOCTORANT_PAGE_SIZE } from '../../../src/jobs/monthlyReportJob/monthly-report-job.js';
import { formatNumber } from '../../../src/pdf/report-kit.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { readPdf } from '../../support/pdf.js';
import { activeAt, OCTOBER, recountMonth, seedDemoMonth, SEPTEMBER, storedFigures, ZONE } from './demo-month.js';

/** Deep-equal figures, the mean delay compared to a thousandth (MariaDB's AVG keeps four decimals). */
function expectSameFigures(actual: Awaited<ReturnType<typeof recountMonth>>, expected: Awaited<ReturnType<typeof recountMonth>>) {
  const { meanDelayDays: mean, ...defense } = actual.defense;
  const { meanDelayDays: expectedMean, ...expectedDefense } = expected.defense;
  expect({ ...actual, defense }).toEqual({ ...expected, defense: expectedDefense });
  if (expectedMean === null) expect(mean).toBeNull();
  else expect(mean).toBeCloseTo(expectedMean, 3);
}

describe.each(dialects)('monthly report recounted on demo data at scale 3 (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('every figure of October and September equals a plain-SQL recount; people once each, as of the month', async () => {
    env = await createTestEnvironment(dialect, { BATCH_TIMEZONE: ZONE });
    const cases = await seedDemoMonth(env);
    const [october, september] = [await activeAt(env, OCTOBER.lastDay), await activeAt(env, SEPTEMBER.lastDay)];
    // The data is what the test needs: the reader examines the doctorants with a VALIDÉ row by then, page by page,
    // and there are several pages of them; and each hand-made case is where it should be.
    const [{ examined }] = (
      await sql<{ examined: number }>`SELECT COUNT(DISTINCT doctorant_id) AS examined FROM inscriptions WHERE statut = 'VALIDÉ' AND date_inscription <= ${OCTOBER.lastDay}`.execute(env.databases.inscription.db)
    ).rows as [{ examined: number }];
    expect(Number(examined)).toBeGreaterThan(2 * ACTIVE_DOCTORANT_PAGE_SIZE);
    expect(october.length).toBeGreaterThan(100);
    const isActive = (list: typeof october, id: number) => list.some((a) => a.doctorant === id);
    expect([cases.severalYears, cases.archivedFirstYear, cases.warningWindow].every((id) => isActive(october, id))).toBe(true);
    expect([isActive(september, cases.suspendedReEnrolment), isActive(october, cases.suspendedReEnrolment)]).toEqual([true, false]);
    expect([isActive(september, cases.defended), isActive(october, cases.defended)]).toEqual([true, false]);

    app = await createApp(env.config, silentLogger);
    const done = await (await app.operator.start('monthlyReportJob', { parameters: { month: OCTOBER.month }, trigger: 'CLI' })).done;
    expect([done.status, done.exitMessage]).toEqual(['COMPLETED', null]);

    const expected = await recountMonth(env, OCTOBER);
    expectSameFigures(await storedFigures(env, OCTOBER.month), expected);
    expectSameFigures(await storedFigures(env, SEPTEMBER.month), await recountMonth(env, SEPTEMBER));
    // Planted across the bounds: each side counted where it belongs.
    expect(expected.alerts).toMatchObject({ failedExecutions: 1, durationOverruns: 2, openAnomalies: 4, anomaliesNeedingAPerson: 2 });
    expect(expected.notification.pendingOver24h).toBe(2);

    const text = (await readPdf(await readFile(path.join(env.config.reportsDir, 'rapport_2026_10.pdf')))).map((p) => p.text).join('\n');
    const n = (value: number) => formatNumber(value).replace(/\s/g, '\\s');
    const { enrollment } = expected;
    expect(text).toMatch(new RegExp(`Doctorants actifs en fin de mois \\(personnes\\)\\s+${n(enrollment.activeDoctorants)}\\s`));
    const bands = enrollment.durationBands;
    expect(bands.moins3Ans + bands.troisAns + bands.sixAns + bands.depassement).toBe(enrollment.activeDoctorants);
    // Row by row: a page break may fall inside the table.
    for (const [label, value] of [['Moins de 3 ans', bands.moins3Ans], ['De 3 à 6 ans', bands.troisAns], ['Proche de 6 ans', bands.sixAns], ['Plus de 6 ans', bands.depassement], ['Total', enrollment.activeDoctorants]] as const) {
      expect(text).toMatch(new RegExp(`${label}\\s+${n(value)}\\s`));
    }
    expect(text).toMatch(new RegExp(`${expected.alerts.openAnomalies} anomalie\\(s\\) de cohérence ouverte\\(s\\) en fin de mois, dont 2 demandant une intervention`));
    expect(text).toContain('1 exécution(s) de tâche en échec ce mois-ci.');
    // What the job did about each open anomaly, from its details: 2 was corrected on an earlier night, 7 that night.
    expect(expected.alerts.anomalies.map((a) => [a.entityId, a.outcome])).toEqual(expect.arrayContaining([[900_002, 'alreadyCorrected'], [900_007, 'corrected']]));
    expect(text).toMatch(/n° 900\s002\s+Correction\s+déjà\s+en\s+place/);
    expect(text).toMatch(/n° 900\s007\s+Corrigée\s+automatiquement/);
    expect(text).toContain('userdb unreachable (planted)');
    // The tâche by its French name in the failures' table, never its code.
    expect(text).toMatch(/Tâche\s+Exécution\s+Cause\s+Nettoyage des jetons expirés\s+n° 1/);
    expect(text).not.toContain('tokenCleanupJob');
    expect(text).not.toContain('November failure (planted)');
  }, 180_000);
});
