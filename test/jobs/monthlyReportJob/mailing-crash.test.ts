/**
 * Property 20 across a real crash: the CLI running monthlyReportJob is killed (SIGKILL)
 * the moment the SMTP server has the first admin's message, before it could record it;
 * `batch-service restart` then mails the others and that one again — as the same
 * message (same Message-ID). Every enabled admin ends with exactly one distinct message,
 * the file on disk is the one attached, and the event is published once.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/outbox.js';
import { ROOT, runCli, startChild, type RunningChild } from '../../support/child.js';
import { lapseLeases } from '../../support/leases.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { startSmtp, type TestSmtp } from '../../support/smtp.js';
import { ADMINS, MONTH, seedOctober } from './fixtures.js';

describe.each(dialects)('monthly report mailing through a crash (%s)', (dialect) => {
  let env: TestEnvironment;
  let smtp: TestSmtp | undefined;
  afterEach(async () => {
    await smtp?.close();
    await env?.cleanup();
  });

  it('kill -9 after the first message reached the server: the restart leaves each enabled admin one distinct message', async () => {
    let child: RunningChild | undefined;
    smtp = await startSmtp({ onMessage: () => child?.process.kill('SIGKILL') });
    env = await createTestEnvironment(dialect, {
      SMTP_URL: smtp.url,
      BATCH_TIMEZONE: 'Europe/Paris',
    });
    await seedOctober(env);
    child = startChild([path.join(ROOT, 'dist/cli.js'), 'run', 'monthlyReportJob', '--param', `month=${MONTH}`], { ...env.env, LOG_LEVEL: 'info' });
    const [, id] = await child.waitForStderr(/monthlyReportJob started \(execution (\d+)\)/);
    const killed = await child.exited;
    expect(killed.code).toBeNull();
    expect(smtp.received).toHaveLength(1);
    child = undefined;

    // The killed run's lease, lapsed: the restart's sweep finds it dead.
    expect(await lapseLeases(env.databases.batch.db)).toBe(1);
    const restarted = await runCli(['restart', id!, '--json'], env.env);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect((JSON.parse(restarted.stdout) as { status: string }).status).toBe('COMPLETED');

    const byAdmin = new Map<string, Set<string>>();
    for (const mail of smtp.received) {
      const to = (mail.to as { text: string }).text;
      byAdmin.set(to, (byAdmin.get(to) ?? new Set()).add(mail.messageId!));
    }
    expect([...byAdmin.keys()].sort()).toEqual([...ADMINS].sort());
    for (const [to, ids] of byAdmin) expect(ids.size, to).toBe(1);
    expect(smtp.received.length).toBeLessThanOrEqual(ADMINS.length + 1);
    const bytes = await readFile(path.join(env.config.reportsDir, 'rapport_2026_10.pdf'));
    for (const mail of smtp.received.slice(1)) expect(Buffer.compare(mail.attachments[0]!.content, bytes)).toBe(0);
    // One report event; the killed run also left its failure event (abandoned), as any crash does.
    const types = (await listEvents(env.databases.batch.db, undefined, 10)).map((e) => e.eventType).sort();
    expect(types).toEqual(['JOB_FAILURE', 'MONTHLY_REPORT_GENERATED']);
  }, 60_000);
});
