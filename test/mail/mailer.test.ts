import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { createMailer, type Mailer } from '../../src/mail/mailer.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';

const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 20_000 }, (_, i) => i % 251)), Buffer.from('\n%%EOF\n')]);

describe('mail', () => {
  let smtp: TestSmtp | undefined;
  let mailer: Mailer | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    mailer?.close();
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('speaks SMTP to a real server and carries an attachment byte for byte', async () => {
    smtp = await startSmtp();
    mailer = createMailer({ smtpUrl: smtp.url, from: 'batch@univ-exemple.fr', mailDir: '/nonexistent' }, silentLogger);
    expect(mailer.mode).toBe('smtp');
    expect(await mailer.verify()).toBe(true);
    const sent = await mailer.send({
      to: ['admin@univ-exemple.fr', 'tech@univ-exemple.fr'],
      subject: 'Rapport mensuel — mars 2026',
      text: 'Veuillez trouver le rapport ci-joint.',
      attachments: [{ filename: 'rapport_2026_03.pdf', content: pdf, contentType: 'application/pdf' }],
    });
    expect(sent.accepted).toEqual(['admin@univ-exemple.fr', 'tech@univ-exemple.fr']);
    const mail = smtp.received[0]!;
    expect(mail.subject).toBe('Rapport mensuel — mars 2026');
    expect(mail.text?.trim()).toBe('Veuillez trouver le rapport ci-joint.');
    expect(mail.attachments[0]?.filename).toBe('rapport_2026_03.pdf');
    expect(Buffer.compare(mail.attachments[0]!.content, pdf)).toBe(0);
  });

  it('retries a temporary refusal and gives up on a permanent one with the error', async () => {
    smtp = await startSmtp();
    const waits: number[] = [];
    mailer = createMailer(
      { smtpUrl: smtp.url, from: 'batch@univ-exemple.fr', mailDir: '/nonexistent', retryHooks: { sleep: async (ms) => void waits.push(ms) } },
      silentLogger,
    );
    smtp.rejectNext.push(451, 451);
    await mailer.send({ to: ['a@univ-exemple.fr'], subject: 'après deux refus', text: 'x' });
    expect(waits).toHaveLength(2);
    expect(smtp.received.map((m) => m.subject)).toEqual(['après deux refus']);

    smtp.rejectNext.push(550);
    await expect(mailer.send({ to: ['b@univ-exemple.fr'], subject: 'refusé', text: 'x' })).rejects.toThrow(/mailbox unavailable/);
    expect(waits).toHaveLength(2);
  });

  it('without SMTP_URL writes each mail as an .eml file one can open', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mail-'));
    mailer = createMailer({ from: 'batch@univ-exemple.fr', mailDir: path.join(dir, 'mail') }, silentLogger);
    expect(mailer.mode).toBe('eml');
    const sent = await mailer.send({
      to: ['tech@univ-exemple.fr'],
      subject: 'Échec de tokenCleanupJob',
      text: 'Détails…',
      attachments: [{ filename: 'a.pdf', content: pdf }],
    });
    expect(sent.file).toMatch(/\.eml$/);
    const parsed = await simpleParser(readFileSync(sent.file!));
    expect(parsed.subject).toBe('Échec de tokenCleanupJob');
    expect((parsed.to as { text: string }).text).toBe('tech@univ-exemple.fr');
    expect(Buffer.compare(parsed.attachments[0]!.content, pdf)).toBe(0);
  });
});
