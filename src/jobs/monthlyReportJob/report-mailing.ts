/**
 * 3.8, 3.9: the report mailed to every enabled admin, one message each, then the report
 * event. Mail is a side effect no transaction can take back, so the order makes a crash,
 * a stop or a lost lease harmless:
 *   for each admin not yet in the step's saved `sent` list: check the lease, send, then
 *   save `sent` (durable before the next one is tried);
 *   then publish the event under an id derived from the instance and the month, so a
 *   replay inserts nothing twice (the outbox's event id is unique).
 * A restart therefore mails only those not yet recorded: at worst the one admin whose
 * message left just before a crash, before it was recorded, is sent it again — with the
 * same Message-ID (derived from the instance and the address), so it is the same message
 * twice, which mail systems collapse, never a second report; never all of them again. A failed send is recorded and retried by
 * the next restart; the step still completes, with the failures in its counts.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { isUniqueViolation } from '../../db/errors.js';
import type { Databases } from '../../db/databases.js';
import type { JsonObject, TaskletContext } from '../../engine/types.js';
import type { MonthlyReportEvent } from '../../events/event-types.js';
import { enqueue } from '../../events/outbox.js';
import type { Mailer } from '../../mail/mailer.js';
import { adminAddresses } from '../../notifications/recipients.js';
import { formatFrenchDate } from '../../pdf/report-kit.js';
import type { ReportPeriod } from './report-period.js';

export interface MailingDeps extends Pick<Databases, 'batch' | 'user'> {
  readonly mailer: Mailer;
  readonly topic: string;
  readonly timeZone: string;
  readonly logger: Logger;
}

export interface MailingState extends JsonObject {
  readonly recipients: readonly string[];
  readonly sent: readonly string[];
  readonly failed: readonly { readonly to: string; readonly error: string }[];
  readonly eventPublished: boolean;
}

export async function mailReport(ctx: TaskletContext, deps: MailingDeps, report: { period: ReportPeriod; path: string; sizeBytes: number; fileName: string }): Promise<MailingState> {
  const saved = ctx.restoredContext as Partial<MailingState>;
  const recipients = saved.recipients ?? (await adminAddresses(deps.user));
  let state: MailingState = { recipients, sent: saved.sent ?? [], failed: [], eventPublished: saved.eventPublished ?? false };
  const log = deps.logger.child({ job: ctx.jobName, execution: ctx.jobExecutionId, step: ctx.stepName });
  if (recipients.length === 0) {
    ctx.warn('no enabled user holds ROLE_ADMIN: the report was generated and mailed to nobody');
    return state;
  }
  if (ctx.dryRun) {
    log.info({ recipients }, 'dry run: the report would be mailed to these admins');
    return state;
  }
  const attachment = await readFile(report.path);
  for (const to of recipients.filter((r) => !state.sent.includes(r))) {
    if (ctx.signal.aborted) throw ctx.signal.reason as Error;
    ctx.checkLease();
    try {
      await deps.mailer.send({
        to: [to],
        subject: `Rapport mensuel de l’école doctorale — ${report.period.label}`,
        text: mailText(report.period, deps.timeZone),
        attachments: [{ filename: report.fileName, content: attachment, contentType: 'application/pdf' }],
        messageId: `<monthly-report.${hashOf(ctx.jobName, ctx.parameters, report.period.month).slice(0, 24)}.${createHash('sha256').update(to).digest('hex').slice(0, 16)}@batch-service>`,
      });
      state = { ...state, sent: [...state.sent, to] };
      log.info({ to }, 'monthly report mailed');
    } catch (error) {
      state = { ...state, failed: [...state.failed, { to, error: (error as Error).message }] };
      log.error({ err: error, to }, 'monthly report not mailed to this admin; a restart tries again');
    }
    await ctx.saveState(state);
  }
  if (!state.eventPublished) {
    ctx.checkLease();
    await publish(deps, ctx, report, state.sent);
    state = { ...state, eventPublished: true };
    await ctx.saveState(state);
  }
  return state;
}

async function publish(deps: MailingDeps, ctx: TaskletContext, report: { period: ReportPeriod; sizeBytes: number; fileName: string }, recipients: readonly string[]): Promise<void> {
  const event: MonthlyReportEvent = {
    eventId: eventIdOf(ctx.jobName, ctx.parameters, report.period.month),
    type: 'MONTHLY_REPORT_GENERATED',
    month: report.period.month,
    fileName: report.fileName,
    sizeBytes: report.sizeBytes,
    downloadPath: `/api/batch/reports/${report.fileName}/download`,
    recipients,
    occurredAt: ctx.runAt.toISOString(),
  };
  try {
    await enqueue(deps.batch.db, event, { topic: deps.topic, key: `monthlyReport:${report.period.month}`, now: new Date() });
  } catch (error) {
    // Published by an earlier attempt of this instance that stopped before recording it.
    if (!isUniqueViolation(error)) throw error;
  }
}

/** The instance and the month, hashed: what every attempt of this report's mailing shares. */
function hashOf(jobName: string, parameters: TaskletContext['parameters'], month: string): string {
  const identity = Object.entries(parameters)
    .filter(([, p]) => p.identifying)
    .map(([k, p]) => `${k}=${p.value}`)
    .sort()
    .join('\n');
  return createHash('sha256').update(`${jobName}\n${identity}\n${month}`).digest('hex');
}

/** One id per instance and month, UUID-shaped like every event id: a replay publishes nothing new. */
function eventIdOf(jobName: string, parameters: TaskletContext['parameters'], month: string): string {
  const hex = hashOf(jobName, parameters, month);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function mailText(period: ReportPeriod, timeZone: string): string {
  return [
    'Bonjour,',
    '',
    `Vous trouverez ci-joint le rapport mensuel de l’école doctorale pour ${period.label} (du ${formatFrenchDate(period.start, timeZone)} au ${formatFrenchDate(new Date(period.end.getTime() - 1), timeZone)}) :`,
    'inscriptions, soutenances, notifications et comptes utilisateurs, avec les alertes du mois.',
    '',
    'Ce message est envoyé automatiquement par le service de traitements de la plateforme.',
  ].join('\n');
}
