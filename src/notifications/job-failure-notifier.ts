/**
 * 1.6, 8.8, 8.9 for every job, in one place: a failed execution publishes a
 * JobFailureEvent (through the outbox) and mails the technical team the job, the
 * execution, the failed step, the error and the command that restarts it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { BatchDb } from '../db/schema/batch-tables.js';
import type { BatchListener, JobExecution, StepExecution } from '../engine/types.js';
import type { JobFailureEvent } from '../events/event-types.js';
import { enqueue } from '../events/outbox.js';
import type { Mailer } from '../mail/mailer.js';
import { formatDateTime, formatNumber } from '../vocabulary/format-fr.js';
import { exitMessageText, jobLabel, stepLabel } from '../vocabulary/words-fr.js';
import { enqueueMail, MailOutbox } from './mail-outbox.js';

export interface FailureNotifierOptions {
  readonly db: Kysely<BatchDb>;
  readonly mailer: Mailer;
  readonly topic: string;
  readonly techAdmins: readonly string[];
  readonly logger: Logger;
  /** The zone the mail's date is written in (BATCH_TIMEZONE); the runtime's when absent. */
  readonly timeZone?: string;
  /** Sends the mail outbox (one per process); one of its own otherwise. */
  readonly outbox?: MailOutbox;
}

/**
 * The event and the mail are written in the transaction that records the failed end
 * (`recordEnd`): a crash at any point leaves the end with its notice, or neither. The
 * mail is sent from the outbox once that has committed (`afterJob`), and by any later
 * round of the outbox (`serve` runs one regularly, every later failure one) when this
 * process died first, always with the same Message-ID.
 */
export function jobFailureNotifier(options: FailureNotifierOptions): BatchListener {
  const outbox = options.outbox ?? new MailOutbox(options.db, options.mailer, options.logger, { owner: `${hostname()}:${process.pid}` });
  return {
    async recordEnd(tx, execution, steps) {
      if (execution.status !== 'FAILED') return;
      const event = failureEvent(execution, steps);
      const now = execution.endTime ?? new Date();
      await enqueue(tx, event, { topic: options.topic, key: execution.jobName, now });
      if (options.techAdmins.length === 0) {
        options.logger.warn({ job: execution.jobName, execution: execution.id }, 'job failed and TECH_ADMIN_EMAILS is empty: nobody is mailed');
        return;
      }
      await enqueueMail(tx, { messageId: failureMessageId(execution), kind: 'JOB_FAILURE', to: options.techAdmins, subject: failureSubject(execution), text: failureText(event, options.timeZone) }, now);
    },
    async afterJob(execution) {
      if (execution.status !== 'FAILED') return;
      try {
        await outbox.deliverPending();
      } catch (error) {
        options.logger.error({ err: error, job: execution.jobName, execution: execution.id }, 'could not mail the technical team about a failed job; the mail stays in the outbox');
      }
    },
  };
}

/** The same for every attempt at one execution's failure mail: the execution, and its creation, so a reused id differs. */
export function failureMessageId(execution: JobExecution): string {
  const created = createHash('sha256').update(`${execution.jobName}\n${execution.createdAt.toISOString()}`).digest('hex').slice(0, 12);
  return `<job-failure.${execution.id}.${created}@batch-service>`;
}

export function failureEvent(execution: JobExecution, steps: readonly StepExecution[]): JobFailureEvent {
  return {
    eventId: randomUUID(),
    type: 'JOB_FAILURE',
    jobName: execution.jobName,
    executionId: execution.id,
    failedStep: steps.find((s) => s.status === 'FAILED')?.stepName ?? null,
    error: execution.exitMessage ?? execution.exitCode,
    restartCommand: `batch-service restart ${execution.id}`,
    occurredAt: (execution.endTime ?? new Date()).toISOString(),
  };
}

/** « « Nettoyage des jetons expirés » (tokenCleanupJob) »: the words, then the name the commands and logs use. */
function named(label: string, code: string): string {
  return label === code ? code : `« ${label} » (${code})`;
}

function failureSubject(execution: JobExecution): string {
  return `[batch-service] Échec de la tâche « ${jobLabel(execution.jobName)} » (exécution n° ${formatNumber(execution.id)})`;
}

function failureText(event: JobFailureEvent, timeZone: string | undefined): string {
  return [
    `La tâche ${named(jobLabel(event.jobName), event.jobName)} a échoué.`,
    '',
    `Exécution : n° ${event.executionId}`,
    `Étape en échec : ${event.failedStep === null ? 'aucune (échec hors étape ou processus arrêté)' : named(stepLabel(event.failedStep), event.failedStep)}`,
    `Erreur : ${exitMessageText(event.error)}`,
    `Date : ${formatDateTime(event.occurredAt, timeZone, 'second')}`,
    '',
    'Pour relancer la tâche là où elle s’est arrêtée :',
    `  ${event.restartCommand}`,
    `ou POST /api/batch/jobs/executions/${event.executionId}/restart`,
  ].join('\n');
}
