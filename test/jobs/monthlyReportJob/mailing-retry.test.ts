/**
 * 3.8 when an admin's mailbox refuses the report (a real SMTP server answering 550 at
 * RCPT TO): the run ends FAILED naming that admin, after every other admin was mailed; a
 * restart mails only the refused one; a second refusal tells the technical admins, once,
 * however many restarts follow; once the mailbox accepts, the restart completes and
 * nobody got the report twice.
 */
import type { ParsedMail } from 'mailparser';
import { listEvents } from '../../../src/events/outbox.js';
import { dialects } from '../../support/databases.js';
import { describe, expect, test } from '../../support/fixtures.js';
import { formatPeriod } from '../../../src/vocabulary/format-fr.js';
import { ADMINS, MONTH, seedOctober } from './fixtures.js';

const TECH = ['tech.a@univ-exemple.fr', 'tech.b@univ-exemple.fr'];
const REFUSED = ADMINS[1]!;
const to = (mail: ParsedMail) => (mail.to as { text: string }).text;

describe.each(dialects)('monthly report mail retried by restart (%s)', (dialect) => {
  // The mailbox refuses until the test says otherwise.
  let refusing = true;
  test.override({
    dialect,
    settings: { BATCH_TIMEZONE: 'Europe/Paris', TECH_ADMIN_EMAILS: TECH.join(',') },
    smtpOptions: { refuse: (address) => refusing && address === REFUSED },
  });

  test('a refused admin fails the run by name; restarts retry only them; the second refusal tells the technical admins once', async ({ app: service, env, smtp }) => {
    refusing = true;
    await seedOctober(env);
    const reports = () => smtp.received.filter((m) => m.subject?.startsWith('Rapport mensuel de l’école doctorale'));
    const reportsTo = () => reports().map(to).sort();
    const escalations = () => smtp.received.filter((m) => m.subject?.includes('non remis'));
    const restart = async (id: number) => (await service.operator.restart(id, { trigger: 'CLI' })).done;

    const first = await (await service.operator.start('monthlyReportJob', { parameters: { month: MONTH }, trigger: 'CLI' })).done;
    expect(first.status).toBe('FAILED');
    // The admin not reached is left to the restart, not counted: the attempt's counts add up.
    const firstMailing = (await service.repository.stepExecutions(first.id)).find((s) => s.stepName === 'sendReportStep');
    expect(firstMailing!.counts).toMatchObject({ read: 2, write: 2 });
    expect(first.exitMessage).toContain(`not mailed to ${REFUSED}`);
    expect(first.exitMessage).toMatch(/restart this execution: it mails only that admin$/);
    expect(reportsTo()).toEqual(ADMINS.filter((a) => a !== REFUSED).sort());
    expect(escalations()).toEqual([]);
    // The report's event does not wait for the last mailbox.
    expect((await listEvents(env.databases.batch.db, undefined, 10)).filter((e) => e.eventType === 'MONTHLY_REPORT_GENERATED')).toHaveLength(1);

    const second = await restart(first.id);
    expect(second.status).toBe('FAILED');
    expect(second.exitMessage).toContain(`not mailed to ${REFUSED}`);
    expect(second.exitMessage).toMatch(/the technical admins were told \(second failure\)$/);
    expect(reportsTo()).toEqual(ADMINS.filter((a) => a !== REFUSED).sort());
    expect(escalations()).toHaveLength(1);
    const [escalation] = escalations();
    expect(to(escalation!).split(', ').sort()).toEqual(TECH);
    // The month in words (issue 24), not its code.
    expect(escalation!.subject).toBe(`[batch-service] Rapport mensuel ${formatPeriod(MONTH)} non remis à ${REFUSED}`);
    expect(escalation!.text).toContain(`- ${REFUSED} :`);
    expect(escalation!.text).toContain(`batch-service restart ${second.id}`);
    // Recorded with the step before it ended: what a further restart reads.
    const mailing = (await service.repository.stepExecutions(second.id)).find((s) => s.stepName === 'sendReportStep');
    expect(mailing!.context).toMatchObject({ escalated: [REFUSED], sent: ADMINS.filter((a) => a !== REFUSED) });

    const third = await restart(second.id);
    expect(third.status).toBe('FAILED');
    expect(third.exitMessage).toMatch(/the technical admins were told already$/);
    expect(escalations()).toHaveLength(1);

    refusing = false;
    const fourth = await restart(third.id);
    expect([fourth.status, fourth.exitMessage]).toEqual(['COMPLETED', null]);
    expect(reportsTo()).toEqual([...ADMINS].sort());
    expect(escalations()).toHaveLength(1);
    expect((await listEvents(env.databases.batch.db, undefined, 10)).filter((e) => e.eventType === 'MONTHLY_REPORT_GENERATED')).toHaveLength(1);
    expect(fourth.metrics).toMatchObject({ recipients: 3, mailsSent: 3, mailsFailed: 0 });
    // Counted once each over four attempts: 3 admins read, 3 mails written.
    const steps = await service.repository.stepExecutions(fourth.id);
    expect(steps.map((s) => s.stepName)).toEqual(['sendReportStep']);
    expect(steps[0]!.counts).toMatchObject({ read: 3, write: 3, writeSkip: 0 });
  });
});
