/**
 * `batch-service report resend --month YYYY-MM [--to ADDRESS]`: mails an existing monthly
 * report again, to every enabled admin or to one address, and records it in the audit
 * log (who, from which host, to whom, what was sent). Refused, exit 2, for a month that
 * is not YYYY-MM or a report that does not exist; exit 1 when a message was refused.
 */
import { hostname, userInfo } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import type { App } from '../app.js';
import { JobParametersInvalidError } from '../engine/errors.js';
import { parseMonth } from '../jobs/monthlyReportJob/report-period.js';
import { resendReport } from '../jobs/monthlyReportJob/report-resend.js';

type WithApp = <T>(work: (app: App) => Promise<T>) => Promise<T>;

const month = (value: string): string => {
  try {
    return parseMonth(value);
  } catch (error) {
    if (error instanceof JobParametersInvalidError) throw new InvalidArgumentError(`${JSON.stringify(value.slice(0, 40))} is not a month; expected YYYY-MM, e.g. 2026-10`);
    throw error;
  }
};
const address = (value: string): string => {
  if (!/^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/.test(value)) throw new InvalidArgumentError(`expected one e-mail address, got ${JSON.stringify(value.slice(0, 80))}`);
  return value;
};

export function registerReportCommand(program: Command, withApp: WithApp): void {
  const report = program.command('report').description('monthly reports already generated');
  report
    .command('resend')
    .description('mail an existing rapport_YYYY_MM.pdf again, to every enabled admin or to --to; audited')
    .requiredOption('--month <YYYY-MM>', 'the month of the report', month)
    .option('--to <address>', 'send it to this address only', address)
    .action(async (opts: { month: string; to?: string }) => {
      await withApp(async (app) => {
        const outcome = await resendReport({ user: app.databases.user, mailer: app.mailer, reportsDir: app.config.reportsDir, timeZone: app.config.timeZone }, opts);
        await app.audit.append({
          action: 'REPORT_RESEND',
          actor: `${userInfo().username} (cli)`,
          clientAddress: hostname(),
          target: outcome.fileName,
          details: { month: outcome.month, sizeBytes: outcome.sizeBytes, sent: outcome.sent, failed: outcome.failed.map((f) => f.to) },
        });
        if (outcome.sent.length > 0) console.log(`${outcome.fileName} resent to ${outcome.sent.join(', ')}`);
        if (outcome.failed.length > 0) {
          for (const f of outcome.failed) console.error(`batch-service: ${outcome.fileName} not sent to ${f.to}: ${f.error}`);
          process.exitCode = 1;
        }
      });
    });
}
