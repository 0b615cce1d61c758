/**
 * Issue 23, item 3: a process killed (SIGKILL) between the end of its failed run and the
 * run's notification. The end, its history row, the JOB_FAILURE event and the failure
 * mail commit together; the mail goes out from the outbox, sent by any later process,
 * with the Message-ID it was given when its row was written. The technical team is told
 * exactly what an uncrashed run tells it, and the audit log gets the run's
 * JOB_EXECUTION_END entry once, from `serve`'s catch-up.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import type { JobFailureEvent } from '../../src/events/event-types.js';
import { listEvents } from '../../src/events/outbox.js';
import type { BatchListener } from '../../src/engine/types.js';
import { executionHistoryListener } from '../../src/history/execution-history.js';
import { createMailer } from '../../src/mail/mailer.js';
import { jobFailureNotifier } from '../../src/notifications/job-failure-notifier.js';
import { MailOutbox } from '../../src/notifications/mail-outbox.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startChild } from '../support/child.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { lapseLeases } from '../support/leases.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import { createItems, itemsJob, itemsStep, operatorFor } from './harness.js';

const CHILD = 'test/fixtures/engine-child.ts';

describe.each(dialects)('a crash between the end of a run and its notification (%s)', (dialect) => {
  let env: TestEnvironment;
  let smtp: TestSmtp | undefined;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await smtp?.close();
    await env?.cleanup();
  });

  const expectNotified = async (id: number) => {
    const execution = await app!.repository.getExecutionOrThrow(id);
    expect([execution.status, execution.exitCode]).toEqual(['FAILED', 'FAILED']);
    const history = await env.databases.batch.db.selectFrom('job_execution_history').select(['status', 'error_message']).where('execution_id', '=', id).execute();
    expect(history).toEqual([{ status: 'FAILED', error_message: 'brokenStep failed: the broken step broke' }]);
    const events = await listEvents(env.databases.batch.db, undefined, 10);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.payload) as JobFailureEvent).toMatchObject({ type: 'JOB_FAILURE', jobName: 'failingJob', executionId: id, failedStep: 'brokenStep', restartCommand: `batch-service restart ${id}` });
    for (const mail of smtp!.received) {
      expect((mail.to as { text: string }).text).toBe('tech@univ-exemple.fr');
      expect(mail.subject).toBe(`[batch-service] Échec de la tâche « failingJob » (exécution n° ${id})`);
      expect(mail.text).toContain('Étape en échec : brokenStep');
      expect(mail.text).toContain(`batch-service restart ${id}`);
    }
  };

  it('killed once the end is recorded, before any listener told anyone: a later process sends the same notice', async () => {
    smtp = await startSmtp();
    env = await createTestEnvironment(dialect, { SMTP_URL: smtp.url, TECH_ADMIN_EMAILS: 'tech@univ-exemple.fr' });
    const child = startChild([CHILD, 'fail', 'hang'], env.env, { tsx: true });
    const [, id] = await child.waitForLine(/ended (\d+) FAILED/);
    child.process.kill('SIGKILL');
    await child.exited;
    expect(smtp.received).toHaveLength(0);

    // Another process of the service: its outbox round (serve runs one at start, then regularly) sends the mail.
    app = await createApp(env.config, silentLogger);
    await app.mailOutbox?.deliverPending();
    expect(smtp.received).toHaveLength(1);
    await expectNotified(Number(id));
    const sent = await env.databases.batch.db.selectFrom('mail_outbox').select(['status', 'message_id']).execute();
    expect(sent).toEqual([{ status: 'SENT', message_id: smtp.received[0]!.messageId }]);
    // Sent once: a later round finds nothing to send.
    expect(await app.mailOutbox.deliverPending()).toBe(0);
    expect(smtp.received).toHaveLength(1);

    // The JOB_EXECUTION_END audit entry the dead process never appended: serve's round appends it, once.
    const ends = () => env.databases.batch.db.selectFrom('audit_log').select(['target', 'details']).where('action', '=', 'JOB_EXECUTION_END').execute();
    expect(await ends()).toEqual([]);
    expect(await app.endAudit.recordMissed()).toBe(1);
    expect(await app.endAudit.recordMissed()).toBe(0);
    const [entry, ...more] = await ends();
    expect(more).toEqual([]);
    expect(entry?.target).toBe(`failingJob#${id}`);
    expect(JSON.parse(entry!.details)).toMatchObject({ status: 'FAILED', exitCode: 'FAILED', trigger: 'CLI', read: 0, written: 0, skipped: 0 });
    expect((await app.audit.verify()).intact).toBe(true);
  }, 60_000);

  it('killed after the server took the mail, before it was marked sent: sent again with the same Message-ID', async () => {
    const running: { child?: ReturnType<typeof startChild> } = {};
    smtp = await startSmtp({ onMessage: () => running.child?.process.kill('SIGKILL') });
    env = await createTestEnvironment(dialect, { SMTP_URL: smtp.url, TECH_ADMIN_EMAILS: 'tech@univ-exemple.fr' });
    const child = (running.child = startChild([CHILD, 'fail', 'go'], env.env, { tsx: true }));
    const [, id] = await child.waitForLine(/started (\d+)/);
    await child.exited;
    for (let i = 0; i < 50 && smtp.received.length === 0; i++) await sleep(20);
    expect(smtp.received).toHaveLength(1);

    app = await createApp(env.config, silentLogger);
    // The dead process's claim on the row holds it for two minutes (it might still be
    // sending): a round now leaves it alone, a round once the claim has run out sends it.
    expect(await app.mailOutbox?.deliverPending()).toBe(0);
    const later = new MailOutbox(env.databases.batch.db, app.mailer, silentLogger, { owner: 'later', clock: () => new Date(Date.now() + 150_000) });
    expect(await later.deliverPending()).toBe(1);
    expect(smtp.received).toHaveLength(2);
    expect(smtp.received[1]!.messageId).toBe(smtp.received[0]!.messageId);
    await expectNotified(Number(id));
  }, 60_000);
});

describe.each(dialects)('an abandonment and its failure notice are one transaction (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  const deadRun = async (notifier: BatchListener) => {
    const db = await createItems(env.databases, 30);
    const job = itemsJob(db, [itemsStep(db, 'itemsStep', 10)]);
    // A process that stops beating mid-step, as a killed one does; its lease, lapsed.
    let open = () => undefined as void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const stuck = { ...job, steps: [itemsStep(db, 'itemsStep', 10, { beforeWrite: () => gate })] };
    const { execution, done } = await operatorFor(env.databases, [stuck], { heartbeatIntervalMs: 3_600_000, heartbeatTimeoutMs: 7_200_000 }).start('itemsJob', { trigger: 'CLI' });
    expect(await lapseLeases(env.databases.batch.db, execution.id)).toBe(1);
    const sweeper = operatorFor(env.databases, [job], {
      listeners: [executionHistoryListener(env.databases.batch.db), notifier],
    });
    return { execution, sweeper, release: () => (open(), done) };
  };

  it('the abandonment has committed its history row, event and mail when abandonStale returns', async () => {
    env = await createTestEnvironment(dialect);
    const mailer = createMailer({ from: 'batch@univ-exemple.fr', mailDir: `${env.dataDir}/mail` }, silentLogger);
    const notifier = jobFailureNotifier({ db: env.databases.batch.db, mailer, topic: 'batch-events', techAdmins: ['tech@univ-exemple.fr'], logger: silentLogger });
    const { execution, sweeper, release } = await deadRun(notifier);
    try {
      expect((await sweeper.abandonStale()).map((e) => e.id)).toEqual([execution.id]);
      // Nothing awaited in the background yet: what is there now committed with the abandonment.
      const events = await listEvents(env.databases.batch.db, undefined, 10);
      expect(events.map((e) => (JSON.parse(e.payload) as JobFailureEvent).executionId)).toEqual([execution.id]);
      const mails = await env.databases.batch.db.selectFrom('mail_outbox').select('subject').execute();
      expect(mails).toEqual([{ subject: `[batch-service] Échec de la tâche « itemsJob » (exécution n° ${execution.id})` }]);
      const history = await env.databases.batch.db.selectFrom('job_execution_history').select('status').where('execution_id', '=', execution.id).execute();
      expect(history).toEqual([{ status: 'FAILED' }]);
      await sweeper.settled();
    } finally {
      await release();
    }
  });

  it('a notice that cannot be written rolls the abandonment back whole: execution and step still STARTED, for the next sweep', async () => {
    env = await createTestEnvironment(dialect);
    const broken: BatchListener = {
      recordEnd: () => Promise.reject(new Error('the outbox is broken')),
      afterJob: () => Promise.reject(new Error('the outbox is broken')),
    };
    const { execution, sweeper, release } = await deadRun(broken);
    try {
      await sweeper.abandonStale().catch(() => undefined);
      await sweeper.settled();
      const row = await env.databases.batch.db.selectFrom('batch_job_execution').select(['status', 'running_job']).where('id', '=', execution.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'STARTED', running_job: 'itemsJob' });
      const steps = await sweeper.repository.stepExecutions(execution.id);
      expect(steps.map((s) => s.status)).toEqual(['STARTED']);
    } finally {
      await release();
    }
  });
});
