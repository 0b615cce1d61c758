/**
 * dataConsistencyJob end to end on planted inconsistencies, real databases, real files and
 * a real SMTP conversation: what it corrects and what it leaves, the anomalies it keeps,
 * who is told (once), the report read back with PDF.js; then a second night that changes
 * nothing and notifies nobody, and a third after a fix that resolves the anomaly.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { App } from '../../../src/app.js';
import type { AnomalyEvent } from '../../../src/events/event-types.js';
import type { JsonObject } from '../../../src/engine/types.js';
import { listEvents } from '../../../src/events/outbox.js';
import { listReports, openReport } from '../../../src/http/report-files.js';
import { listAnomalies } from '../../../src/anomalies/anomaly-store.js';
import { AuditLog } from '../../../src/security/audit-log.js';
import { dialects, type TestEnvironment } from '../../support/databases.js';
import { describe, expect, test } from '../../support/fixtures.js';
import { readPdf } from '../../support/pdf.js';
import { ADMIN, DIRECTEUR, NEXT_NIGHT, plant, REFUSED, RUN_AT, TECH } from './fixtures.js';

const runOf = (app: App) => async (runAt: string, dryRun = false) => (await app.operator.start('dataConsistencyJob', { parameters: { runAt }, dryRun, trigger: 'CLI' })).done;
const statutsOf = (env: TestEnvironment) => async () => ({
  inscriptions: (await env.databases.inscription.db.selectFrom('inscriptions').select(['id', 'statut', 'motif_suspension']).orderBy('id').execute()).map((r) => `${r.id}:${r.statut}:${r.motif_suspension ?? ''}`),
  soutenances: (await env.databases.defense.db.selectFrom('soutenances').select(['id', 'statut', 'motif_blocage']).orderBy('id').execute()).map((r) => `${r.id}:${r.statut}:${r.motif_blocage ?? ''}`),
  roles: (await env.databases.user.db.selectFrom('user_roles').select(['user_id', 'role']).orderBy('user_id').orderBy('role').execute()).map((r) => `${r.user_id}:${r.role}`),
  notifications: (await env.databases.notification.db.selectFrom('notifications').select(['id', 'statut', 'tentatives']).orderBy('id').execute()).map((r) => `${r.id}:${r.statut}:${r.tentatives}`),
});

describe.each(dialects)('dataConsistencyJob (%s)', (dialect) => {
  test.override({ dialect, settings: { TECH_ADMIN_EMAILS: TECH, BATCH_TIMEZONE: 'Europe/Paris' }, smtpOptions: { refuse: (address) => address === REFUSED } });

  test('finds, corrects and reports each planted inconsistency; the next night changes nothing and tells nobody; a fix resolves its anomaly', async ({ app, env, smtp }) => {
    await plant(env);
    const run = runOf(app);
    const statuts = statutsOf(env);
    const before = await statuts();

    // A dry run first: the audit mode lists what would change and changes nothing.
    const dry = await run(RUN_AT, true);
    expect(dry.status).toBe('COMPLETED');
    expect(await statuts()).toEqual(before);
    expect(existsSync(path.join(env.config.uploadsDir, 'inscriptions/1/oublie.pdf'))).toBe(true);
    expect((await listAnomalies(env.databases.batch.db, { page: 0, size: 50 })).total).toBe(0);
    expect(smtp.received).toHaveLength(0);
    expect(dry.metrics).toMatchObject({ dryRun: {
      totalAnomalies: 7, newAnomalies: 7, autoCorrected: 3, openAutoCorrected: 3, manualRequired: 4, rolesAdded: 2, rolesRemoved: 2, usersChanged: 3, orphansMoved: 1, notificationsRetried: 2,
      wouldChange: {
        inscriptions: { count: 1, first: [expect.stringMatching(/^inscription 4 .*EN_ATTENTE → SUSPENDU/)] },
        soutenances: { count: 2, first: [expect.stringMatching(/^soutenance 2 /), expect.stringMatching(/^soutenance 3 /)] },
        orphans: { count: 1, first: ['inscriptions/1/oublie.pdf → orphelins/inscriptions/1/oublie.pdf'] },
        notifications: { count: 2 },
      },
    } });
    expect(((dry.metrics.dryRun as JsonObject).wouldChange as { roles: { first: string[] } }).roles.first.sort()).toEqual([
      'utilisateur 10 : + ROLE_DOCTORANT_ACTIF (doctorant actif)',
      'utilisateur 11 : + ROLE_DOCTEUR (a soutenu)',
      'utilisateur 11 : − ROLE_DOCTORANT_ACTIF (a soutenu)',
      'utilisateur 13 : − ROLE_DOCTORANT_ACTIF (n’est plus doctorant actif au 2026-12-01)',
    ]);

    const first = await run(RUN_AT);
    expect(first.status, first.exitMessage ?? '').toBe('COMPLETED');
    // « Corrigée » only where a change was made: inscriptions 5 (REJETÉ) and 6 (archived) were left to a person.
    expect(first.metrics).toMatchObject({
      totalAnomalies: 7, newAnomalies: 7, autoCorrected: 3, inscriptionsSuspended: 1, soutenancesBlocked: 2, openAutoCorrected: 3, manualRequired: 4,
      rolesAdded: 2, rolesRemoved: 2, usersChanged: 3, orphansMoved: 1, notificationsRetried: 2, notificationsSent: 1, notificationsFailed: 1,
    });
    // The dry run announced exactly this (a refused mail aside: it cannot know of one).
    for (const [name, value] of Object.entries(dry.metrics.dryRun as JsonObject)) if (typeof value === 'number') expect([name, first.metrics[name]]).toEqual([name, value]);
    const after = await statuts();
    expect(after.inscriptions).toEqual(['1:VALIDÉ:', '2:VALIDÉ:', '3:VALIDÉ:', '4:SUSPENDU:UTILISATEUR_INEXISTANT', '5:REJETÉ:', '6:VALIDÉ:', '7:SUSPENDU:', '8:VALIDÉ:', '9:SUSPENDU:', '10:VALIDÉ:', '11:VALIDÉ:']);
    expect(after.soutenances).toEqual(['1:SOUTENUE:', '2:BLOQUEE:INSCRIPTION_INVALIDE', '3:BLOQUEE:INSCRIPTION_INVALIDE', '4:AUTORISEE:']);
    expect(after.roles).toEqual(['1:ROLE_ADMIN', '2:ROLE_DIRECTEUR', '10:ROLE_DOCTORANT_ACTIF', '11:ROLE_DOCTEUR', '12:ROLE_DOCTORANT_ACTIF', '14:ROLE_DOCTORANT_ACTIF']);
    expect(after.notifications).toEqual(['1:SENT:1', '2:FAILED:1', '3:PENDING:0', '4:FAILED:0']);
    const failed = await env.databases.notification.db.selectFrom('notifications').select(['derniere_erreur', 'sent_at']).where('id', 'in', [1, 2]).orderBy('id').execute();
    expect(failed[0]?.sent_at).not.toBeNull();
    expect(failed[1]?.derniere_erreur).toMatch(/mailbox unavailable/);

    // Files: the orphan moved (never deleted), the young file and the NFD-named referenced one kept.
    const uploads = env.config.uploadsDir;
    expect(existsSync(path.join(uploads, 'inscriptions/1/oublie.pdf'))).toBe(false);
    expect(readFileSync(path.join(uploads, 'orphelins/inscriptions/1/oublie.pdf'), 'utf8')).toBe('orphelin');
    expect(existsSync(path.join(uploads, 'inscriptions/1/recent.pdf'))).toBe(true);
    expect(existsSync(path.join(uploads, 'inscriptions/3/th\u0065\u0300se.pdf'))).toBe(true);

    // Anomalies kept, with their action.
    const open = await listAnomalies(env.databases.batch.db, { status: 'open', page: 0, size: 50 });
    expect(open.items.map((a) => `${a.type}:${a.entity}:${a.entityId}:${a.action}`).sort()).toEqual([
      'FICHIER_MANQUANT:document:2:INTERVENTION_REQUISE',
      'INSCRIPTION_INVALIDE:soutenance:2:AUTO_CORRIGÉE',
      'INSCRIPTION_INVALIDE:soutenance:3:AUTO_CORRIGÉE',
      'PREMIERE_INSCRIPTION_DIVERGENTE:doctorant:14:INTERVENTION_REQUISE',
      'UTILISATEUR_INEXISTANT:inscription:4:AUTO_CORRIGÉE',
      'UTILISATEUR_INEXISTANT:inscription:5:INTERVENTION_REQUISE',
      'UTILISATEUR_INEXISTANT:inscription:6:INTERVENTION_REQUISE',
    ]);
    expect(open.items.find((a) => a.entity === 'doctorant')?.details).toEqual({ datesPremiereInscription: ['2022-10-01', '2023-10-01'], dateRetenue: '2022-10-01' });

    // Told once: one event per new anomaly, in French, the directeur too for a blocked defense.
    const events = (await listEvents(env.databases.batch.db, undefined, 100)).filter((e) => e.eventType === 'CONSISTENCY_ANOMALY').map((e) => JSON.parse(e.payload) as AnomalyEvent);
    expect(events).toHaveLength(7);
    const blocked = events.find((e) => e.entity === 'soutenance' && e.entityId === 2)!;
    expect([...blocked.recipients].sort()).toEqual([ADMIN, DIRECTEUR].sort());
    expect(blocked.message).toContain('La soutenance n° 2 référence l’inscription n° 7, dont le statut est SUSPENDU');
    expect(events.find((e) => e.entity === 'inscription' && e.entityId === 4)!.recipients).toEqual([ADMIN]);
    expect(events.find((e) => e.entity === 'inscription' && e.entityId === 5)!.message).toContain('elle n’a pas été modifiée');
    expect(events.find((e) => e.entity === 'doctorant')!.message).toContain('(2022-10-01, 2023-10-01). La durée du doctorat est comptée depuis la plus ancienne, le 2022-10-01.');

    // Mail: the re-sent notification (its Message-ID derived from its id), the failure
    // summary and the report, each once.
    const subjects = smtp.received.map((m) => m.subject).sort();
    expect(subjects).toEqual(['Sujet 1 — é', '[batch-service] 1 notification(s) en échec après nouvel envoi', '[batch-service] Rapport d’anomalies du 01/12/2026'].sort());
    expect(smtp.received.find((m) => m.subject === 'Sujet 1 — é')!.messageId).toBe('<notification.1@batch-service>');
    expect(smtp.received.find((m) => m.subject?.includes('en échec'))!.text).toContain(`notification 2 → ${REFUSED}`);
    // Its date in words (issue 24): « Le contrôle de cohérence du 1er décembre 2026 … », no ISO date.
    expect(smtp.received.find((m) => m.subject?.includes('en échec'))!.text).toMatch(/Le contrôle de cohérence du \d{1,2}(er)? (novembre|décembre) 2026 a tenté de renvoyer 2 notifications/);
    const reportMail = smtp.received.find((m) => m.subject?.includes('Rapport'))!;
    expect(reportMail.to).toMatchObject({ text: TECH });
    const reportFile = path.join(env.config.reportsDir, 'rapport_anomalies_2026_12_01.pdf');
    expect(reportMail.attachments[0]?.content.equals(readFileSync(reportFile))).toBe(true);
    expect((await listReports(env.config.reportsDir)).map((r) => [r.name, r.kind])).toEqual([['rapport_anomalies_2026_12_01.pdf', 'anomalies']]);
    const text = (await readPdf(readFileSync(reportFile))).map((p) => p.text).join('\n');
    for (const id of ['Inscription n° 4', 'Inscription n° 5', 'Inscription n° 6', 'Soutenance n° 2', 'Soutenance n° 3', 'Doctorant n° 14']) expect(text).toContain(id);
    // People by name from userdb, with their id; a doctorant without an account says so.
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('Soutenance n° 2 Doctorant : Prénom12 Nom12 (n° 12) Directeur de thèse : Prénom2 Nom2 (n° 2)');
    expect(flat).toContain('Inscription n° 4 Doctorant : n° 900, sans compte utilisateur Directeur de thèse : Prénom2 Nom2 (n° 2)');
    expect(flat).toContain('Doctorant n° 14 Doctorant : Prénom14 Nom14 (n° 14) Directeur de thèse : Prénom2 Nom2 (n° 2)');
    expect(flat).toMatch(/Document d’inscription n° \d+ Doctorant : Prénom10 Nom10 \(n° 10\)/);
    // Words, not codes; « Corrigée automatiquement » only for the rows this night changed (4, soutenances 2 and 3).
    for (const code of ['PLANIFIEE', 'inscriptionStatut', 'archived', 'false', 'SUSPENDU']) expect(flat).not.toContain(code);
    expect(flat.match(/Corrigée automatiquement/g)).toHaveLength(3);
    expect(text.replace(/\s+/g, ' ')).toContain('Anomalies ouvertes 7 Nouvelles cette nuit 7 Corrigées cette nuit 3 Intervention requise 4');
    // A long path may wrap inside its table cell.
    expect(text.replace(/\s+/g, '')).toContain('inscriptions/1/manquant.pdf');

    // Audited: one entry per role change.
    const audit = (await new AuditLog(env.databases.batch.db).list(0, 100)).items.filter((e) => e.action.startsWith('ROLE_'));
    expect(audit.map((e) => `${e.action}:${e.target}:${(e.details as { role: string }).role}:${(e.details as { rule: string }).rule}`).sort()).toEqual([
      'ROLE_ADD:user#10:ROLE_DOCTORANT_ACTIF:5.6',
      'ROLE_ADD:user#11:ROLE_DOCTEUR:5.7',
      'ROLE_REMOVE:user#11:ROLE_DOCTORANT_ACTIF:5.7',
      'ROLE_REMOVE:user#13:ROLE_DOCTORANT_ACTIF:5.6',
    ]);

    // The next night: the same anomalies seen again, nothing changed, nobody told.
    const mails = smtp.received.length;
    const roleEntries = async () => (await new AuditLog(env.databases.batch.db).list(0, 1000)).items.filter((e) => e.action.startsWith('ROLE_')).length;
    const second = await run(NEXT_NIGHT);
    expect(second.status).toBe('COMPLETED');
    // Nothing changed: 0 corrections; the stock is the same, by action.
    expect(second.metrics).toMatchObject({
      totalAnomalies: 7, newAnomalies: 0, autoCorrected: 0, openAutoCorrected: 3, manualRequired: 4, rolesAdded: 0, rolesRemoved: 0, usersChanged: 0, orphansMoved: 0, notificationsRetried: 0,
    });
    expect(smtp.received.length).toBe(mails);
    expect((await statuts()).notifications).toEqual(after.notifications);
    expect((await statuts()).inscriptions).toEqual(after.inscriptions);
    expect((await statuts()).roles).toEqual(after.roles);
    expect((await listEvents(env.databases.batch.db, undefined, 100)).filter((e) => e.eventType === 'CONSISTENCY_ANOMALY')).toHaveLength(7);
    expect(await roleEntries()).toBe(4);
    const steps = await app.operator.repository.stepExecutions(second.id);
    expect(steps.find((s) => s.stepName === 'generateAnomalyReportStep')?.exitCode).toBe('NOOP');

    // A fix: user 900 exists now; the third night resolves that anomaly (the inscription stays suspended: a person lifts it).
    await env.databases.user.db.insertInto('users').values({ id: 900, email: 'd900@univ-exemple.fr', nom: null, prenom: null, enabled: 1, created_at: '2026-12-02 10:00:00' }).execute();
    const third = await run('2026-12-03T22:00:00Z');
    expect(third.metrics).toMatchObject({ totalAnomalies: 6, newAnomalies: 0, autoCorrected: 0 });
    const resolved = await listAnomalies(env.databases.batch.db, { status: 'resolved', page: 0, size: 50 });
    expect(resolved.items.map((a) => `${a.type}:${a.entityId}`)).toEqual(['UTILISATEUR_INEXISTANT:4']);
    expect(resolved.items[0]?.resolvedAt?.toISOString()).toBe('2026-12-03T22:00:00.000Z');
  }, 60_000);
  test('a second report of the same day gets its own file (…_2.pdf), listed and opened like the others; the first stays as it was', async ({ app, env, smtp }) => {
    await plant(env);
    const run = runOf(app);
    const first = await run(RUN_AT);
    expect(first.status, first.exitMessage ?? '').toBe('COMPLETED');
    const firstFile = path.join(env.config.reportsDir, 'rapport_anomalies_2026_12_01.pdf');
    const firstBytes = readFileSync(firstFile);
    // A new inconsistency the same evening (23:00 and 23:30 in Paris): a doctorant without an account.
    await env.databases.inscription.db
      .insertInto('inscriptions')
      .values({ id: 12, doctorant_id: 903, directeur_id: 2, sujet_these: 'Sujet 12', annee_universitaire: '2025-2026', type: 'PREMIERE', date_inscription: '2025-10-01', date_premiere_inscription: '2025-10-01', statut: 'EN_ATTENTE', motif_suspension: null, archived: 0, created_at: '2024-01-01 00:00:00', updated_at: '2024-01-01 00:00:00' })
      .execute();
    const second = await run('2026-12-01T22:30:00Z');
    expect(second.status, second.exitMessage ?? '').toBe('COMPLETED');
    expect(second.metrics).toMatchObject({ newAnomalies: 1 });

    expect(readdirSync(env.config.reportsDir).sort()).toEqual(['rapport_anomalies_2026_12_01.pdf', 'rapport_anomalies_2026_12_01_2.pdf']);
    expect(readFileSync(firstFile).equals(firstBytes)).toBe(true);
    // Listed (the day's latest first) and opened like any report; the mail carries the new one.
    expect((await listReports(env.config.reportsDir)).map((r) => [r.name, r.kind, r.period])).toEqual([
      ['rapport_anomalies_2026_12_01_2.pdf', 'anomalies', '2026-12-01'],
      ['rapport_anomalies_2026_12_01.pdf', 'anomalies', '2026-12-01'],
    ]);
    const opened = await openReport(env.config.reportsDir, 'rapport_anomalies_2026_12_01_2.pdf');
    await opened.handle.close();
    expect(opened.size).toBeGreaterThan(1000);
    const mails = smtp.received.filter((m) => m.subject?.includes('Rapport d’anomalies'));
    expect(mails.map((m) => m.attachments[0]?.filename)).toEqual(['rapport_anomalies_2026_12_01.pdf', 'rapport_anomalies_2026_12_01_2.pdf']);
    const text = (await readPdf(readFileSync(path.join(env.config.reportsDir, 'rapport_anomalies_2026_12_01_2.pdf')))).map((p) => p.text).join(' ').replace(/\s+/g, ' ');
    expect(text).toContain('Inscription n° 12 Doctorant : n° 903, sans compte utilisateur Directeur de thèse : Prénom2 Nom2 (n° 2)');
    // Names the reports API refuses: no « _1 », no leading zero.
    for (const name of ['rapport_anomalies_2026_12_01_1.pdf', 'rapport_anomalies_2026_12_01_02.pdf']) await expect(openReport(env.config.reportsDir, name)).rejects.toMatchObject({ statusCode: 400 });
  }, 60_000);

  test('an orphelins/ that is a link out of UPLOADS_DIR fails the dry run as it fails the real run, and no orphan leaves', async ({ app, env }) => {
    await plant(env);
    const run = runOf(app);
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'orphelins-elsewhere-'));
    try {
      symlinkSync(elsewhere, path.join(env.config.uploadsDir, 'orphelins'));
      for (const dryRun of [true, false]) {
        const done = await run(RUN_AT, dryRun);
        expect(done.status, `dryRun ${dryRun}`).toBe('FAILED');
        expect(done.exitMessage).toMatch(/orphelins is or lies behind a symbolic link: orphans are moved only to a real folder inside UPLOADS_DIR/);
      }
      expect(readdirSync(elsewhere)).toEqual([]);
      expect(existsSync(path.join(env.config.uploadsDir, 'inscriptions/1/oublie.pdf'))).toBe(true);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
