/**
 * notificationdb failing in the middle of a page of re-sends (found by the fault harness:
 * MariaDB restarted mid-page): the notifications decided before the failure are saved
 * with their counts, the step fails, and the restart sends the rest. The job's figures
 * then equal a recount of what was sent, and every mail went out once.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { dataConsistencyJob } from '../../../src/jobs/dataConsistencyJob/data-consistency-job.js';
import { createMailer } from '../../../src/mail/mailer.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { AuditLog } from '../../../src/security/audit-log.js';
import { operatorFor } from '../../engine/harness.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { startSmtp, type TestSmtp } from '../../support/smtp.js';
import { plant, REFUSED, RUN_AT, TECH } from './fixtures.js';
import type { NotificationDb } from '../../../src/db/schema/sibling-tables.js';
import { openWithLostAcks } from '../../support/lost-ack.js';

/** The notification whose claim the database refuses, once. */
const BROKEN = 13;

describe.each(dialects)('notificationdb failing in the middle of a page of re-sends (%s)', (dialect) => {
  let env: TestEnvironment;
  let smtp: TestSmtp | undefined;
  afterEach(async () => {
    await smtp?.close();
    await env?.cleanup();
  });

  it('saves what was decided before the failure with its counts; the restart sends the rest; figures equal a recount', async () => {
    smtp = await startSmtp({ refuse: (address) => address === REFUSED });
    env = await createTestEnvironment(dialect, { SMTP_URL: smtp.url, TECH_ADMIN_EMAILS: TECH, BATCH_TIMEZONE: 'Europe/Paris' });
    await plant(env);
    const notifications = env.databases.notification.db;
    await notifications
      .insertInto('notifications')
      .values([11, 12, 13, 14, 15].map((id) => ({ id, user_id: null, destinataire_email: `n${id}@univ-exemple.fr`, type: 'INFO', sujet: `Sujet ${id}`, contenu: `Contenu ${id}`, statut: 'PENDING', tentatives: 0, derniere_erreur: null, created_at: '2026-11-29 09:00:00', sent_at: null })))
      .execute();
    await (dialect === 'sqlite'
      ? sql`CREATE TRIGGER refuse_claim BEFORE UPDATE ON notifications WHEN OLD.id = ${sql.lit(BROKEN)} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`
      : sql`CREATE TRIGGER refuse_claim BEFORE UPDATE ON notifications FOR EACH ROW BEGIN IF OLD.id = ${sql.lit(BROKEN)} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END`
    ).execute(notifications);

    const mailer = createMailer({ smtpUrl: smtp.url, from: env.config.mail.from, mailDir: `${env.dataDir}/mail` }, silentLogger);
    const job = dataConsistencyJob({ ...env.databases, mailer, audit: new AuditLog(env.databases.batch.db), logger: silentLogger, uploadsDir: env.config.uploadsDir, reportsDir: env.config.reportsDir, techAdmins: [TECH], topic: 't', timeZone: 'Europe/Paris' });
    const operator = operatorFor(env.databases, [job]);
    const failed = await (await operator.start('dataConsistencyJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done;
    expect([failed.status, failed.exitMessage]).toEqual(['FAILED', expect.stringContaining('injected failure')]);
    const retryStep = async (id: number) => (await operator.repository.stepExecutions(id)).find((s) => s.stepName === 'retryPendingNotificationsStep')!;
    // 1 sent, 2 refused (FAILED), 11 and 12 sent, then 13's claim fails: four decided and counted.
    expect((await retryStep(failed.id)).counts).toMatchObject({ read: 4, write: 3, writeSkip: 1 });

    await sql`DROP TRIGGER refuse_claim`.execute(notifications);
    const done = await (await operator.restart(failed.id, { trigger: 'CLI' })).done;
    mailer.close();
    expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');

    // The recount: what notificationdb says was sent and failed by this run, in plain SQL.
    const recount = await sql<{ statut: string; n: number }>`SELECT statut, COUNT(*) AS n FROM notifications WHERE id IN (1, 2, 11, 12, 13, 14, 15) GROUP BY statut ORDER BY statut`.execute(notifications);
    const byStatut = Object.fromEntries(recount.rows.map((r) => [r.statut, Number(r.n)]));
    expect(byStatut).toEqual({ FAILED: 1, SENT: 6 });
    expect(done.metrics).toMatchObject({ notificationsSent: byStatut.SENT, notificationsRetried: byStatut.SENT! + byStatut.FAILED! });
    // The restarted step carries on from the saved counts: its own are the whole instance's.
    expect((await retryStep(done.id)).counts).toMatchObject({ write: byStatut.SENT, writeSkip: byStatut.FAILED });
    // Every notification mailed once: none before the failure is sent again.
    const notificationMails = smtp.received.filter((m) => m.messageId?.startsWith('<notification.'));
    expect(notificationMails.map((m) => m.messageId).sort()).toEqual([1, 11, 12, 13, 14, 15].map((id) => `<notification.${id}@batch-service>`).sort());
  }, 60_000);

  it('a SENT mark whose acknowledgement was lost is counted by the restart, which finds it landed; nothing mailed twice', async () => {
    smtp = await startSmtp({ refuse: (address) => address === REFUSED });
    env = await createTestEnvironment(dialect, { SMTP_URL: smtp.url, TECH_ADMIN_EMAILS: TECH, BATCH_TIMEZONE: 'Europe/Paris' });
    await plant(env);
    const lost = openWithLostAcks<NotificationDb>(env, 'notification');
    const mailer = createMailer({ smtpUrl: smtp.url, from: env.config.mail.from, mailDir: `${env.dataDir}/mail` }, silentLogger);
    try {
      const notification = { ...env.databases.notification, db: lost.db };
      const job = dataConsistencyJob({ ...env.databases, notification, mailer, audit: new AuditLog(env.databases.batch.db), logger: silentLogger, uploadsDir: env.config.uploadsDir, reportsDir: env.config.reportsDir, techAdmins: [TECH], topic: 't', timeZone: 'Europe/Paris' });
      const operator = operatorFor(env.databases, [job]);
      // Notification 1's mail leaves, its SENT mark commits, and the job is told ECONNRESET.
      lost.loseNext(/^update .notifications. set .statut. = \?, .sent_at./i);
      const failed = await (await operator.start('dataConsistencyJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done;
      expect(lost.lost, 'the fault fired').toHaveLength(1);
      expect(failed.status).toBe('FAILED');
      const done = await (await operator.restart(failed.id, { trigger: 'CLI' })).done;
      expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');

      const recount = await sql<{ statut: string; n: number }>`SELECT statut, COUNT(*) AS n FROM notifications WHERE id IN (1, 2) GROUP BY statut ORDER BY statut`.execute(env.databases.notification.db);
      const byStatut = Object.fromEntries(recount.rows.map((r) => [r.statut, Number(r.n)]));
      expect(byStatut).toEqual({ FAILED: 1, SENT: 1 });
      expect(done.metrics).toMatchObject({ notificationsSent: byStatut.SENT, notificationsRetried: byStatut.SENT! + byStatut.FAILED! });
      expect(smtp.received.filter((m) => m.messageId === '<notification.1@batch-service>')).toHaveLength(1);
    } finally {
      mailer.close();
      await lost.close();
    }
  }, 60_000);
});
