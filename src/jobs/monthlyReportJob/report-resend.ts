/**
 * `batch-service report resend`: an existing monthly report mailed again, as the job
 * mails it (same subject, text and attachment), to every enabled admin or to one
 * address. The file is sent as it is on disk: nothing is computed again. Each message
 * gets a Message-ID of its own, since a resend is a deliberate second message.
 */
import path from 'node:path';
import type { DatabaseHandle } from '../../db/connect.js';
import type { UserDb } from '../../db/schema/sibling-tables.js';
import type { Mailer } from '../../mail/mailer.js';
import { adminAddresses } from '../../notifications/recipients.js';
import { NotARegularFileError, readRegularFile } from '../../security/regular-file.js';
import { reportMessage } from './report-mailing.js';
import { reportPeriod } from './report-period.js';

/** The resend cannot start: a missing report, nobody to send it to. Nothing was mailed. */
export class ReportResendRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportResendRefused';
  }
}

export interface ResendDeps {
  readonly user: DatabaseHandle<UserDb>;
  readonly mailer: Mailer;
  readonly reportsDir: string;
  readonly timeZone: string;
}

export interface ResendOutcome {
  readonly month: string;
  readonly fileName: string;
  readonly sizeBytes: number;
  readonly recipients: readonly string[];
  readonly sent: readonly string[];
  readonly failed: readonly { readonly to: string; readonly error: string }[];
}

/**
 * @example
 * await resendReport(deps, { month: '2026-10', to: 'doyen@univ-exemple.fr' });
 */
export async function resendReport(deps: ResendDeps, request: { readonly month: string; readonly to?: string }): Promise<ResendOutcome> {
  const period = reportPeriod(request.month, deps.timeZone);
  const file = path.join(deps.reportsDir, period.fileName);
  // Read before anything else, from a regular file only: a FIFO under the report's name
  // would otherwise hold the command forever.
  const attachment = await readRegularFile(file).catch((error: unknown) => {
    if (!(error instanceof NotARegularFileError)) throw error;
    throw new ReportResendRefused(
      error.missing
        ? `no report for ${period.month}: ${file} does not exist; generate it with \`batch-service run monthlyReportJob --param month=${period.month}\``
        : `no report for ${period.month}: ${error.message}; generate it again with \`batch-service run monthlyReportJob --param month=${period.month}\``,
    );
  });
  const recipients = request.to === undefined ? await adminAddresses(deps.user) : [request.to];
  if (recipients.length === 0) throw new ReportResendRefused('no enabled user holds ROLE_ADMIN: nobody to send the report to; name one with --to ADDRESS');
  const sent: string[] = [];
  const failed: { to: string; error: string }[] = [];
  for (const to of recipients) {
    try {
      await deps.mailer.send(reportMessage({ period, fileName: period.fileName }, attachment, deps.timeZone, to));
      sent.push(to);
    } catch (error) {
      failed.push({ to, error: (error as Error).message });
    }
  }
  return { month: period.month, fileName: period.fileName, sizeBytes: attachment.length, recipients, sent, failed };
}
