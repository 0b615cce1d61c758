/**
 * A real process killed (SIGKILL) between each side effect of dataConsistencyJob and what
 * records it — after a correction and before its anomaly, after a page's role changes and
 * before the page is saved, after a notification's SENT mark and before its page is saved, after an orphan's move and before
 * its batch is saved, after a mail and before its row says SENT, after the report is written, after it is mailed — then restarted: the end
 * state is an uninterrupted run's, every anomaly recorded and announced once; a mail that
 * left just before the kill is sent at most once more, with the same Message-ID.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dataConsistencyJob } from '../../../src/jobs/dataConsistencyJob/data-consistency-job.js';
import { createMailer } from '../../../src/mail/mailer.js';
import { AuditLog } from '../../../src/security/audit-log.js';
import { operatorFor } from '../../engine/harness.js';
import { listEvents } from '../../../src/events/outbox.js';
import { listAnomalies } from '../../../src/anomalies/anomaly-store.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { startChild } from '../../support/child.js';
import { lapseLeases } from '../../support/leases.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { startSmtp, type TestSmtp } from '../../support/smtp.js';
import { plant, REFUSED, RUN_AT, TECH } from './fixtures.js';

const BOUNDARIES = ['corrected', 'blocked', 'roles-changed', 'orphan-moved', 'notification-sent', 'notification-marked', 'report-written', 'report-mailed'] as const;

describe.each(dialects)('dataConsistencyJob killed between a side effect and its record (%s)', (dialect) => {
  let env: TestEnvironment;
  let smtp: TestSmtp | undefined;
  afterEach(async () => {
    await smtp?.close();
    await env?.cleanup();
  });

  it.each(BOUNDARIES)('killed %s: the restart ends as an uninterrupted run, nothing recorded or announced twice', async (boundary) => {
    smtp = await startSmtp({ refuse: (address) => address === REFUSED });
    env = await createTestEnvironment(dialect, { SMTP_URL: smtp.url, TECH_ADMIN_EMAILS: TECH, BATCH_TIMEZONE: 'Europe/Paris' });
    await plant(env);
    const killed = await startChild(['test/fixtures/consistency-child.ts', boundary, RUN_AT], env.env, { tsx: true }).exited;
    expect(killed.code, killed.stdout + killed.stderr).toBeNull();

    // The killed child's run, found dead by the same job's sweep.
    expect(await lapseLeases(env.databases.batch.db)).toBe(1);
    const mailer = createMailer({ smtpUrl: smtp.url, from: env.config.mail.from, mailDir: `${env.dataDir}/mail` }, silentLogger);
    const job = dataConsistencyJob({ ...env.databases, mailer, audit: new AuditLog(env.databases.batch.db), logger: silentLogger, uploadsDir: env.config.uploadsDir, reportsDir: env.config.reportsDir, techAdmins: [TECH], topic: 't', timeZone: 'Europe/Paris' });
    const operator = operatorFor(env.databases, [job]);
    const [abandoned] = await operator.abandonStale();
    expect(abandoned?.exitCode).toBe('ABANDONED');
    const done = await (await operator.restart(abandoned!.id, { trigger: 'CLI' })).done;
    mailer.close();
    expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');

    // As an uninterrupted run (data-consistency.test.ts): corrections, anomalies, events.
    expect((await env.databases.inscription.db.selectFrom('inscriptions').select('statut').where('id', '=', 4).executeTakeFirstOrThrow()).statut).toBe('SUSPENDU');
    const open = await listAnomalies(env.databases.batch.db, { status: 'open', page: 0, size: 50 });
    expect(open.total).toBe(7);
    const events = (await listEvents(env.databases.batch.db, undefined, 100)).filter((e) => e.eventType === 'CONSISTENCY_ANOMALY');
    expect(events).toHaveLength(7);
    // The corrections the killed attempt made are recorded as this run's, with the statut they corrected, not « déjà … ».
    const byEntity = new Map(open.items.map((a) => [`${a.entity}#${a.entityId}`, a.details as Record<string, unknown>]));
    expect(byEntity.get('inscription#4')).toMatchObject({ statut: 'EN_ATTENTE', correction: 'SUSPENDU' });
    expect(byEntity.get('soutenance#2')).toMatchObject({ statut: 'DEMANDEE', correction: 'BLOQUEE' });
    expect(byEntity.get('soutenance#3')).toMatchObject({ statut: 'PLANIFIEE', correction: 'BLOQUEE' });
    const corrections = (await env.databases.batch.db.selectFrom('batch_job_execution').select('metrics').where('id', '=', done.id).executeTakeFirstOrThrow()).metrics;
    expect(JSON.parse(corrections)).toMatchObject({ inscriptionsSuspended: 1, soutenancesBlocked: 2 });
    // The role changes the killed attempt made count as this run's, as uninterrupted (data-consistency.test.ts).
    expect(JSON.parse(corrections)).toMatchObject({ rolesAdded: 2, rolesRemoved: 2, usersChanged: 3 });
    // And the notifications its page had decided before the kill, sent or failed.
    expect(JSON.parse(corrections)).toMatchObject({ notificationsRetried: 2, notificationsSent: 1, notificationsFailed: 1 });
    // One attempt counted per notification, as uninterrupted: a restart retaking its own claim continues that attempt.
    const notifications = (await env.databases.notification.db.selectFrom('notifications').select(['id', 'statut', 'tentatives']).orderBy('id').execute()).map((r) => `${r.id}:${r.statut}:${r.tentatives}`);
    expect(notifications).toEqual(['1:SENT:1', '2:FAILED:1', '3:PENDING:0', '4:FAILED:0']);
    // The orphan moved once, never lost nor copied.
    expect(existsSync(path.join(env.config.uploadsDir, 'inscriptions/1/oublie.pdf'))).toBe(false);
    expect(readdirSync(path.join(env.config.uploadsDir, 'orphelins/inscriptions/1'))).toEqual(['oublie.pdf']);

    // Mail: each message at most twice, and twice only with one Message-ID (the one in flight at the kill).
    const byId = new Map<string, number>();
    for (const m of smtp.received) byId.set(m.messageId!, (byId.get(m.messageId!) ?? 0) + 1);
    const repeated = [...byId].filter(([, n]) => n > 1);
    expect(repeated.length).toBeLessThanOrEqual(1);
    expect(repeated.every(([, n]) => n === 2)).toBe(true);
    if (boundary === 'notification-sent') expect(repeated.map(([id]) => id)).toEqual(['<notification.1@batch-service>']);
    if (boundary === 'report-mailed') expect(repeated.map(([id]) => id)[0]).toMatch(/^<anomaly-report\./);
    if (boundary === 'corrected' || boundary === 'roles-changed' || boundary === 'orphan-moved' || boundary === 'notification-marked' || boundary === 'report-written') expect(repeated).toEqual([]);
    expect([...byId.keys()].filter((id) => id.startsWith('<anomaly-report.'))).toHaveLength(1);
    // One report file for the execution, whatever the kill: the restart writes the name it recorded, never a « _2 ».
    expect(readdirSync(env.config.reportsDir).filter((name) => name.endsWith('.pdf'))).toEqual(['rapport_anomalies_2026_12_01.pdf']);
  }, 60_000);
});
