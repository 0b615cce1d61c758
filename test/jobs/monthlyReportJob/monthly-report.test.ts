/**
 * monthlyReportJob end to end on planted data (October 2026 in Europe/Paris, its bounds
 * crossing UTC midnights and a change of offset): the figures, the French PDF read back
 * with PDF.js, the file saved under its name, a real SMTP conversation carrying the file
 * byte for byte to each enabled admin once, the event and the metrics; a stop during the
 * mailing and its restart mail nobody twice.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { MonthlyReportEvent } from '../../../src/events/event-types.js';
import { listEvents } from '../../../src/events/outbox.js';
import { listReports } from '../../../src/http/report-files.js';
import { dialects } from '../../support/databases.js';
import { describe, expect, test } from '../../support/fixtures.js';
import { readPdf } from '../../support/pdf.js';
import { ADMINS, MONTH, seedOctober } from './fixtures.js';

describe.each(dialects)('monthlyReportJob (%s)', (dialect) => {
  test.override({ dialect, settings: { BATCH_TIMEZONE: 'Europe/Paris' } });

  test('reports October in French, saves rapport_2026_10.pdf, mails it byte for byte to each enabled admin and publishes the event', async ({ app: service, env, smtp }) => {
    await seedOctober(env);
    const done = await (await service.operator.start('monthlyReportJob', { parameters: { month: MONTH }, trigger: 'CLI' })).done;
    expect([done.status, done.exitMessage]).toEqual(['COMPLETED', null]);

    const file = path.join(env.config.reportsDir, 'rapport_2026_10.pdf');
    const bytes = await readFile(file);
    expect((await readdir(env.config.reportsDir)).sort()).toEqual(['rapport_2026_10.pdf']);
    const pages = await readPdf(bytes);
    const text = pages.map((p) => p.text).join('\n');
    expect(text).toContain('Rapport mensuel — octobre 2026');
    expect(text).toMatch(/du 1er octobre 2026 au 31 octobre 2026/);
    // Planted figures: 3 new inscriptions (2 first), 2 validated of 3 decided, 2 active doctorants (doctorant 102's latest
    // inscription is REJETÉ, and he defended), 2 defenses 90 and 120 days after their request, 3 of 4 notifications sent, 2 new accounts.
    expect(text).toMatch(/Nouvelles inscriptions \(datées du mois\)\s+3/);
    expect(text).toMatch(/dont premières inscriptions\s+2/);
    expect(text).toMatch(/Taux de validation \(inscriptions validées \/ décidées\)\s+66,7 %/);
    expect(text).toMatch(/Inscriptions décidées \(validées, rejetées ou suspendues\)\s+3/);
    expect(text).toMatch(/Doctorants actifs en fin de mois \(personnes\)\s+2/);
    expect(text).toMatch(/Soutenances tenues\s+2/);
    expect(text).toMatch(/Délai moyen demande → soutenance\s+105 jours/);
    expect(text).toContain('Très honorable avec félicitations');
    expect(text).toMatch(/Taux d’envoi \(envoyées \/ créées dans le mois, en attente comprises\)\s+75 %/);
    expect(text).toMatch(/Nouveaux comptes \(créés dans le mois\)\s+2/);
    expect(text).toContain('Nouvelles inscriptions sur 12 mois');
    expect(text).toContain('Soutenances par mention');
    // The fixture's one pending notification was created on 1 November: November's warning, not October's.
    expect(text).not.toContain('Alertes');
    expect(text).not.toContain('en attente plus de 24 heures');
    pages.forEach((page, i) => expect(page.text).toMatch(new RegExp(`Généré le \\d{1,2} \\S+ \\d{4} à \\d\\d:\\d\\d — page ${i + 1} / ${pages.length}`)));
    // The charts are vector drawings: many paths on the first page.
    expect(pages[0]!.paths).toBeGreaterThan(40);

    expect(smtp.received.map((m) => (m.to as { text: string }).text).sort()).toEqual([...ADMINS].sort());
    for (const mail of smtp.received) {
      expect(mail.subject).toBe('Rapport mensuel de l’école doctorale — octobre 2026');
      expect(mail.attachments).toHaveLength(1);
      expect(mail.attachments[0]!.filename).toBe('rapport_2026_10.pdf');
      expect(Buffer.compare(mail.attachments[0]!.content, bytes)).toBe(0);
    }
    const events = (await listEvents(env.databases.batch.db, undefined, 10)).map((r) => JSON.parse(r.payload) as MonthlyReportEvent);
    expect(events).toEqual([
      expect.objectContaining({ type: 'MONTHLY_REPORT_GENERATED', month: MONTH, fileName: 'rapport_2026_10.pdf', sizeBytes: bytes.length, downloadPath: '/api/batch/reports/rapport_2026_10.pdf/download' }),
    ]);
    expect(done.metrics).toEqual({ pdfSizeBytes: bytes.length, pdfPages: pages.length, generationMs: expect.any(Number), recipients: 3, mailsSent: 3, mailsFailed: 0 });
  });

  test('a stop during the mailing ends STOPPED; the restart mails only those not yet mailed, and the event once', async ({ app: service, env, smtp }) => {
    await seedOctober(env);
    let stopAfterFirst = true;
    const mailer = service.mailer;
    const original = mailer.send.bind(mailer);
    const { execution, done } = await service.operator.start('monthlyReportJob', { parameters: { month: MONTH }, trigger: 'CLI' });
    Object.assign(mailer, {
      send: async (message: Parameters<typeof original>[0]) => {
        const sent = await original(message);
        if (stopAfterFirst) {
          stopAfterFirst = false;
          await service.operator.stop(execution.id);
        }
        return sent;
      },
    });
    const stopped = await done;
    expect(stopped.status).toBe('STOPPED');
    expect(smtp.received).toHaveLength(1);
    const restarted = await (await service.operator.restart(stopped.id, { trigger: 'CLI' })).done;
    expect(restarted.status).toBe('COMPLETED');
    expect(smtp.received.map((m) => (m.to as { text: string }).text).sort()).toEqual([...ADMINS].sort());
    expect(await listEvents(env.databases.batch.db, undefined, 10)).toHaveLength(1);
    expect(restarted.metrics).toMatchObject({ recipients: 3, mailsSent: 3 });
  });

  test('a dry run produces the figures and a simulation PDF the reports API does not list, mails nobody and publishes nothing', async ({ app: service, env, smtp }) => {
    await seedOctober(env);
    const done = await (await service.operator.start('monthlyReportJob', { parameters: { month: MONTH }, dryRun: true, trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    expect(await readdir(env.config.reportsDir)).toEqual(['rapport_2026_10.simulation.pdf']);
    const text = (await readPdf(await readFile(path.join(env.config.reportsDir, 'rapport_2026_10.simulation.pdf')))).map((p) => p.text).join('\n');
    expect(text).toMatch(/Nouvelles inscriptions\s+3/);
    expect(smtp.received).toEqual([]);
    expect(await listEvents(env.databases.batch.db, undefined, 10)).toEqual([]);
    expect(await listReports(env.config.reportsDir)).toEqual([]);
  });

  test('refuses a month that is not YYYY-MM before anything runs, and completes with a warning when there is no admin', async ({ app: service, env, smtp }) => {
    await seedOctober(env);
    for (const month of ['2026-13', '2026-1', 'octobre', '1969-12']) {
      await expect(service.operator.start('monthlyReportJob', { parameters: { month }, trigger: 'CLI' }), month).rejects.toThrow(/is not a month; expected YYYY-MM|is outside the months a report can cover/);
    }
    await env.databases.user.db.deleteFrom('user_roles').where('role', '=', 'ROLE_ADMIN').execute();
    const done = await (await service.operator.start('monthlyReportJob', { parameters: { month: '2026-09' }, trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    expect(done.exitMessage).toMatch(/no enabled user holds ROLE_ADMIN/);
    expect(smtp.received).toHaveLength(0);
  });
});
