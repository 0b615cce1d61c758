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
 * twice, which mail systems collapse, never a second report; never all of them again.
 *
 * A refused message does not stop the others: every admin is tried and the event
 * published, then the step — and the run — ends FAILED naming the admins not mailed, so
 * `batch-service restart` retries exactly them (they are not in `sent`). An address that
 * fails again on a restart is reported to the technical admins (TECH_ADMIN_EMAILS) in
 * one message naming it, recorded in `escalated` right after it is sent, as the report
 * mails are, and under a Message-ID derived from the instance and the addresses: a
 * further restart never tells them again about the same address.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { isUniqueViolation } from '../../db/errors.js';
import type { Databases } from '../../db/databases.js';
import type { JsonObject, TaskletContext } from '../../engine/types.js';
import type { MonthlyReportEvent } from '../../events/event-types.js';
import { enqueue } from '../../events/outbox.js';
import type { MailMessage, Mailer } from '../../mail/mailer.js';
import { adminAddresses } from '../../notifications/recipients.js';
import { formatFrenchDate } from '../../pdf/report-kit.js';
import { readRegularFile } from '../../security/regular-file.js';
import type { ReportPeriod } from './report-period.js';

export interface MailingDeps extends Pick<Databases, 'batch' | 'user'> {
  readonly mailer: Mailer;
  readonly topic: string;
  readonly timeZone: string;
  readonly techAdmins: readonly string[];
  readonly logger: Logger;
}

export interface MailingState extends JsonObject {
  readonly recipients: readonly string[];
  readonly sent: readonly string[];
  /** The latest attempt's failures. */
  readonly failed: readonly { readonly to: string; readonly error: string }[];
  /** Addresses whose message failed in an earlier attempt of this instance. */
  readonly failedBefore: readonly string[];
  /** Addresses the technical admins were told about (each once). */
  readonly escalated: readonly string[];
  readonly eventPublished: boolean;
}

/** Some admins were not mailed: the run ends FAILED and its restart retries them. */
export class ReportNotMailedError extends Error {
  constructor(readonly month: string, readonly notMailed: readonly { readonly to: string; readonly error: string }[], note: string) {
    super(
      `monthly report of ${month} not mailed to ${notMailed.map((f) => `${f.to} (${f.error})`).join(', ')}; ` +
        `every other admin has it. Check the address or the mail server, then restart this execution: it mails only ${notMailed.length === 1 ? 'that admin' : 'those admins'}${note}`,
    );
    this.name = 'ReportNotMailedError';
  }
}

/** The report's message to one admin: the job's mailing and `batch-service report resend` send the same. */
export function reportMessage(report: { period: ReportPeriod; fileName: string }, attachment: Buffer, timeZone: string, to: string): MailMessage {
  return {
    to: [to],
    subject: `Rapport mensuel de l’école doctorale — ${report.period.label}`,
    text: mailText(report.period, timeZone),
    attachments: [{ filename: report.fileName, content: attachment, contentType: 'application/pdf' }],
  };
}

export async function mailReport(ctx: TaskletContext, deps: MailingDeps, report: { period: ReportPeriod; path: string; sizeBytes: number; fileName: string }): Promise<MailingState> {
  const saved = ctx.restoredContext as Partial<MailingState>;
  // Read once per instance: a restart mails the first attempt's list. Each admin is counted
  // (read and written) when the mail to them leaves: one not reached is left to the
  // restart and counted then, so every attempt's counts add up (read = written) and the
  // restarted step, which carries them on, ends with each admin counted once.
  const recipients = saved.recipients ?? (await adminAddresses(deps.user));
  let state: MailingState = {
    recipients,
    sent: saved.sent ?? [],
    failed: [],
    failedBefore: [...new Set([...(saved.failedBefore ?? []), ...(saved.failed ?? []).map((f) => f.to)])],
    escalated: saved.escalated ?? [],
    eventPublished: saved.eventPublished ?? false,
  };
  const log = deps.logger.child({ job: ctx.jobName, execution: ctx.jobExecutionId, step: ctx.stepName });
  if (recipients.length === 0) {
    ctx.warn('no enabled user holds ROLE_ADMIN: the report was generated and mailed to nobody');
    await ctx.saveState(state);
    return state;
  }
  if (ctx.dryRun) {
    log.info({ recipients }, 'dry run: the report would be mailed to these admins');
    // Counted as would-write by the engine: the mails a real run would send.
    ctx.count({ read: recipients.length, write: recipients.length });
    await ctx.saveState(state);
    return state;
  }
  // The file generatePdfStep wrote; a restart reads it again, so it is opened as one (not a FIFO or a link put in its place).
  const attachment = await readRegularFile(report.path);
  const instance = hashOf(ctx.jobName, ctx.parameters, report.period.month);
  for (const to of recipients.filter((r) => !state.sent.includes(r))) {
    if (ctx.signal.aborted) throw ctx.signal.reason as Error;
    ctx.checkLease();
    try {
      await deps.mailer.send({ ...reportMessage(report, attachment, deps.timeZone, to), messageId: `<monthly-report.${instance.slice(0, 24)}.${shortHash(to)}@batch-service>` });
      state = { ...state, sent: [...state.sent, to] };
      ctx.count({ read: 1, write: 1 });
      log.info({ to }, 'monthly report mailed');
    } catch (error) {
      state = { ...state, failed: [...state.failed, { to, error: (error as Error).message }] };
      log.error({ err: error, to }, 'monthly report not mailed to this admin; a restart of the execution tries again');
    }
    await ctx.saveState(state);
  }
  if (!state.eventPublished) {
    ctx.checkLease();
    await publish(deps, ctx, report, state.sent);
    state = { ...state, eventPublished: true };
    await ctx.saveState(state);
  }
  if (state.failed.length === 0) return state;
  const again = state.failed.filter((f) => state.failedBefore.includes(f.to) && !state.escalated.includes(f.to));
  let note = state.failed.some((f) => state.escalated.includes(f.to)) ? '; the technical admins were told already' : '';
  if (again.length > 0) {
    if (deps.techAdmins.length === 0) {
      note = '; TECH_ADMIN_EMAILS is empty: no technical admin was told';
    } else {
      ctx.checkLease();
      try {
        await deps.mailer.send(escalation(report.period, again, deps.techAdmins, ctx.jobExecutionId, instance));
        state = { ...state, escalated: [...state.escalated, ...again.map((f) => f.to)] };
        await ctx.saveState(state);
        note = '; the technical admins were told (second failure)';
      } catch (error) {
        log.error({ err: error }, 'could not tell the technical admins that the monthly report failed again');
        note = `; the technical admins could not be told either (${(error as Error).message})`;
      }
    }
  }
  throw new ReportNotMailedError(report.period.month, state.failed, note);
}

/** One message to the technical admins naming the admins the report failed to reach twice. */
function escalation(period: ReportPeriod, failed: MailingState['failed'], techAdmins: readonly string[], executionId: number, instance: string): MailMessage {
  const addresses = failed.map((f) => f.to).sort();
  return {
    to: techAdmins,
    subject: `[batch-service] Rapport mensuel ${period.label} non remis à ${addresses.join(', ')}`,
    text: [
      `Le rapport mensuel de ${period.label} n’a pas pu être envoyé, une seconde fois, à :`,
      ...failed.map((f) => `  - ${f.to} : ${f.error}`),
      '',
      'Les autres administrateurs l’ont reçu. Vérifiez ces adresses ou le serveur de messagerie, puis relancez',
      `l’exécution (batch-service restart ${executionId}) : seuls ces destinataires seront servis.`,
      `Ou envoyez le fichier à une autre adresse : batch-service report resend --month ${period.month} --to ADRESSE`,
    ].join('\n'),
    messageId: `<monthly-report-escalation.${instance.slice(0, 24)}.${shortHash(addresses.join(','))}@batch-service>`,
  };
}

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

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
