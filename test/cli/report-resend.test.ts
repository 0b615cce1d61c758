/**
 * `batch-service report resend`, built, as an operator runs it: an existing monthly report
 * mailed again byte for byte to every enabled admin or to one address, through a real
 * SMTP server; each resend audited with the OS user and the host; a bad month, a bad
 * address or a missing report refused (exit 2) before anything is sent; a refused
 * message exits 1 naming the address.
 */
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/security/audit-log.js';
import { runCli } from '../support/child.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import { ADMINS, MONTH, seedOctober } from '../jobs/monthlyReportJob/fixtures.js';

const REFUSED = 'boite.pleine@univ-exemple.fr';
const to = (mail: ParsedMail) => (mail.to as { text: string }).text;

describe.each(dialects)('batch-service report resend (%s)', (dialect) => {
  let env: TestEnvironment;
  let smtp: TestSmtp | undefined;
  afterEach(async () => {
    await smtp?.close();
    await env?.cleanup();
  });

  it('resends the file to every enabled admin or to --to, audited; refuses a bad month or a missing report with exit 2', async () => {
    smtp = await startSmtp({ refuse: (address) => address === REFUSED });
    env = await createTestEnvironment(dialect, { SMTP_URL: smtp.url, BATCH_TIMEZONE: 'Europe/Paris' });
    await seedOctober(env);
    const generated = await runCli(['run', 'monthlyReportJob', '--param', `month=${MONTH}`], env.env);
    expect(generated.code, generated.stderr).toBe(0);
    const bytes = await readFile(path.join(env.config.reportsDir, 'rapport_2026_10.pdf'));
    const original = smtp.received.splice(0);
    expect(original.map(to).sort()).toEqual([...ADMINS].sort());
    const resends = async () => (await new AuditLog(env.databases.batch.db).list(0, 50)).items.filter((e) => e.action === 'REPORT_RESEND').reverse();

    const all = await runCli(['report', 'resend', '--month', MONTH], env.env);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.trim()).toBe(`rapport_2026_10.pdf resent to ${[...ADMINS].sort().join(', ')}`);
    expect(smtp.received.map(to).sort()).toEqual([...ADMINS].sort());
    for (const mail of smtp.received) {
      expect(mail.subject).toBe('Rapport mensuel de l’école doctorale — octobre 2026');
      expect(mail.attachments.map((a) => a.filename)).toEqual(['rapport_2026_10.pdf']);
      expect(Buffer.compare(mail.attachments[0]!.content, bytes)).toBe(0);
      // A new message, not the job's again (which mail systems would drop as a duplicate).
      expect(original.map((m) => m.messageId)).not.toContain(mail.messageId);
    }

    smtp.received.splice(0);
    const one = await runCli(['report', 'resend', '--month', MONTH, '--to', 'doyen@univ-exemple.fr'], env.env);
    expect(one.code, one.stderr).toBe(0);
    expect(smtp.received.map(to)).toEqual(['doyen@univ-exemple.fr']);
    expect(Buffer.compare(smtp.received[0]!.attachments[0]!.content, bytes)).toBe(0);

    const audited = await resends();
    expect(audited.map((e) => [e.target, e.actor, e.clientAddress])).toEqual([
      ['rapport_2026_10.pdf', `${userInfo().username} (cli)`, hostname()],
      ['rapport_2026_10.pdf', `${userInfo().username} (cli)`, hostname()],
    ]);
    expect(audited.map((e) => e.details)).toEqual([
      { month: MONTH, sizeBytes: bytes.length, sent: [...ADMINS].sort(), failed: [] },
      { month: MONTH, sizeBytes: bytes.length, sent: ['doyen@univ-exemple.fr'], failed: [] },
    ]);

    smtp.received.splice(0);
    const badMonth = await runCli(['report', 'resend', '--month', '2026-13'], env.env);
    expect(badMonth.code).toBe(2);
    expect(badMonth.stderr).toMatch(/--month.*"2026-13" is not a month; expected YYYY-MM/);
    const badAddress = await runCli(['report', 'resend', '--month', MONTH, '--to', 'doyen'], env.env);
    expect(badAddress.code).toBe(2);
    expect(badAddress.stderr).toMatch(/--to.*expected one e-mail address, got "doyen"/);
    const missing = await runCli(['report', 'resend', '--month', '2026-09'], env.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('batch-service: no report for 2026-09:');
    expect(missing.stderr).toContain('rapport_2026_09.pdf does not exist; generate it with `batch-service run monthlyReportJob --param month=2026-09`');
    expect(smtp.received).toEqual([]);
    expect(await resends()).toHaveLength(2);

    const refused = await runCli(['report', 'resend', '--month', MONTH, '--to', REFUSED], env.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`batch-service: rapport_2026_10.pdf not sent to ${REFUSED}:`);
    expect((await resends()).at(-1)!.details).toEqual({ month: MONTH, sizeBytes: bytes.length, sent: [], failed: [REFUSED] });
  }, 120_000);
});
