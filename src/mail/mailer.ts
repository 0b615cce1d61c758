/**
 * Outgoing mail: nodemailer over SMTP_URL, or, without it, each message written as an
 * `.eml` file under DATA_DIR/mail so a newcomer can open what would have been sent.
 * Transient failures (connection refused, timeouts, 4xx replies) are retried with
 * backoff; the last failure is thrown to the caller, never swallowed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { withRetry, type RetryHooks } from '../engine/retry.js';

export interface MailAttachment {
  readonly filename: string;
  readonly content?: Buffer;
  readonly path?: string;
  readonly contentType?: string;
}

export interface MailMessage {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  readonly attachments?: readonly MailAttachment[];
  /**
   * A Message-ID of the caller's making, the same for every attempt at the same message:
   * a message sent again after a crash is then recognisably the same one (mail clients
   * and servers drop duplicates by it). Nodemailer draws a new one otherwise.
   */
  readonly messageId?: string;
}

export interface SentMail {
  readonly messageId: string;
  /** The `.eml` written when no SMTP server is configured. */
  readonly file?: string;
  readonly accepted: readonly string[];
}

export interface Mailer {
  /** `smtp` or `eml`: where messages go (health and the README say which). */
  readonly mode: 'smtp' | 'eml';
  send(message: MailMessage): Promise<SentMail>;
  /** Checks the SMTP connection (always true for `.eml`). */
  verify(): Promise<boolean>;
  close(): void;
}

export interface MailerOptions {
  readonly smtpUrl?: string;
  readonly from: string;
  /** Where `.eml` files go without SMTP. */
  readonly mailDir: string;
  readonly attempts?: number;
  readonly retryHooks?: RetryHooks;
  /** Connection, greeting and socket-inactivity timeout (nodemailer's defaults are minutes). */
  readonly timeoutMs?: number;
}

/** Network failures and 4xx replies pass; 5xx replies (bad address, refused content) do not. */
export function isTransientMailError(error: unknown): boolean {
  const { code, responseCode } = (error ?? {}) as { code?: string; responseCode?: number };
  if (typeof responseCode === 'number') return responseCode >= 400 && responseCode < 500;
  return ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNREFUSED', 'ECONNRESET', 'EDNS'].includes(code ?? '');
}

export function createMailer(options: MailerOptions, logger: Logger): Mailer {
  const smtp = options.smtpUrl;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const transport: Transporter = smtp
    ? nodemailer.createTransport({ url: smtp, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs })
    : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const retry = { attempts: options.attempts ?? 4, baseDelayMs: 500, maxDelayMs: 10_000, retryable: isTransientMailError };
  return {
    mode: smtp ? 'smtp' : 'eml',
    async send(message) {
      const mail = {
        from: options.from,
        to: [...message.to],
        subject: message.subject,
        text: message.text,
        html: message.html,
        attachments: message.attachments?.map((a) => ({ ...a })),
        ...(message.messageId === undefined ? {} : { messageId: message.messageId }),
      };
      const info = await withRetry(() => transport.sendMail(mail), retry, {
        ...options.retryHooks,
        onRetry: (error, attempt, delayMs) => logger.warn({ err: error, attempt, delayMs, subject: message.subject }, 'mail not sent yet; retrying'),
      });
      if (smtp) return { messageId: info.messageId, accepted: (info.accepted as string[]).map(String) };
      await mkdir(options.mailDir, { recursive: true });
      const file = path.join(options.mailDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[<>@/\\]/g, '_')}.eml`);
      await writeFile(file, info.message as Buffer);
      logger.info({ file, to: message.to, subject: message.subject }, 'no SMTP_URL: mail written as .eml');
      return { messageId: info.messageId, file, accepted: [...message.to] };
    },
    async verify() {
      if (!smtp) return true;
      return transport.verify();
    },
    close() {
      transport.close();
    },
  };
}
