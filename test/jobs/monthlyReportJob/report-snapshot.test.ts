/**
 * Issue 21, item 2: the figures of a generated month are kept (`report_snapshot`); a
 * re-generation shows them again whatever changed since, `recompute=true` computes them
 * anew, the changes (▲▼) compare with the previous month's snapshot, computed and kept
 * when missing, and a dry run writes none.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app.js';
import { JobParametersInvalidError } from '../../../src/engine/errors.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { readPdf } from '../../support/pdf.js';
import { MONTH, seedOctober } from './fixtures.js';

describe.each(dialects)('monthly report snapshots (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  async function start() {
    env = await createTestEnvironment(dialect, { BATCH_TIMEZONE: 'Europe/Paris' });
    await seedOctober(env);
    app = await createApp(env.config, silentLogger);
    return app;
  }
  const snapshots = () =>
    env.databases.batch.db.selectFrom('report_snapshot').select(['month', 'report_file', 'job_execution_id', 'computed_at', 'figures']).orderBy('month').execute();
  const newInscriptions = (figures: string) => (JSON.parse(figures) as { enrollment: { newInscriptions: { total: number } } }).enrollment.newInscriptions.total;
  const pdfText = async (file = 'rapport_2026_10.pdf') => (await readPdf(await readFile(path.join(env.config.reportsDir, file)))).map((p) => p.text).join('\n');
  const addInscription = (id: number, doctorant: number, date: string) =>
    env.databases.inscription.db
      .insertInto('inscriptions')
      .values({
        id, doctorant_id: doctorant, directeur_id: 60, sujet_these: 'Sujet', annee_universitaire: '2026-2027', type: 'PREMIERE', date_inscription: date,
        date_premiere_inscription: date, statut: 'VALIDÉ', motif_suspension: null, archived: 0, created_at: '2026-11-20 10:00:00', updated_at: '2026-11-20 10:00:00',
      })
      .execute();

  it('a re-generation shows the stored figures; recompute=true computes them again and compares with the stored month before', async () => {
    const service = await start();
    const run = async (parameters: Record<string, string>, dryRun = false) => (await (await service.operator.start('monthlyReportJob', { parameters, dryRun, trigger: 'CLI' })).done);

    const first = await run({ month: MONTH });
    expect(first.status).toBe('COMPLETED');
    // October with its report, September (the month before) kept for the comparison.
    const stored = await snapshots();
    expect(stored.map((s) => [s.month, s.report_file, Number(s.job_execution_id)])).toEqual([['2026-09', null, first.id], ['2026-10', 'rapport_2026_10.pdf', first.id]]);
    expect(stored.map((s) => newInscriptions(s.figures))).toEqual([1, 3]);
    expect(await pdfText()).toMatch(/Nouvelles inscriptions\s+3\s+▲ 2 par rapport/);

    // The sibling data moves on: one more October inscription, one more September one.
    await addInscription(20, 120, '2026-10-20');
    await addInscription(21, 121, '2026-09-20');

    const dry = await run({ month: MONTH, runAt: '2026-11-25T08:00:00Z' }, true);
    expect(dry.status).toBe('COMPLETED');
    expect(await pdfText('rapport_2026_10.simulation.pdf')).toMatch(/Nouvelles inscriptions\s+3\s/);
    expect(await snapshots()).toEqual(stored);

    const again = await run({ month: MONTH, runAt: '2026-11-26T08:00:00Z' });
    expect(again.status).toBe('COMPLETED');
    const text = await pdfText();
    expect(text).toMatch(/Nouvelles inscriptions\s+3\s+▲ 2 par rapport/);
    expect(text).toMatch(/Nouvelles inscriptions \(datées du mois\)\s+3\s/);
    expect(text).toMatch(/conservés\s+depuis/);
    expect(await snapshots()).toEqual(stored);

    const recomputed = await run({ month: MONTH, recompute: 'true' });
    expect(recomputed.status).toBe('COMPLETED');
    const after = await snapshots();
    expect(after.map((s) => [s.month, Number(s.job_execution_id), newInscriptions(s.figures)])).toEqual([['2026-09', first.id, 1], ['2026-10', recomputed.id, 4]]);
    const recomputedText = await pdfText();
    // 4 against September's stored 1, not against the 2 a recount of September would give now.
    expect(recomputedText).toMatch(/Nouvelles inscriptions\s+4\s+▲ 3 par rapport/);
    expect(recomputedText).not.toMatch(/conservés\s+depuis/);
  });

  it('a dry run of a month without snapshots keeps none; recompute accepts only true or false', async () => {
    const service = await start();
    const dry = await (await service.operator.start('monthlyReportJob', { parameters: { month: MONTH }, dryRun: true, trigger: 'CLI' })).done;
    expect(dry.status).toBe('COMPLETED');
    expect(await snapshots()).toEqual([]);
    for (const value of ['yes', 'TRUE', '1', '']) {
      const refused = service.operator.start('monthlyReportJob', { parameters: { month: MONTH, recompute: value }, trigger: 'CLI' });
      await expect(refused, value).rejects.toBeInstanceOf(JobParametersInvalidError);
      await expect(refused, value).rejects.toThrow(/recompute=".*" is not accepted; expected true .* or false/);
    }
    const plain = await (await service.operator.start('monthlyReportJob', { parameters: { month: MONTH, recompute: 'false' }, trigger: 'CLI' })).done;
    expect(plain.status).toBe('COMPLETED');
    expect((await snapshots()).map((s) => s.month)).toEqual(['2026-09', '2026-10']);
  });
});
