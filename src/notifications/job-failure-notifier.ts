/**
 * 1.6, 8.8, 8.9 for every job, in one place: a failed execution publishes a
 * JobFailureEvent (through the outbox) and mails the technical team the job, the
 * execution, the failed step, the error and the command that restarts it.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { BatchDb } from '../db/schema/batch-tables.js';
import type { BatchListener, JobExecution, StepExecution } from '../engine/types.js';
import type { JobFailureEvent } from '../events/event-types.js';
import { enqueue } from '../events/outbox.js';
import type { Mailer } from '../mail/mailer.js';
import { formatDateTime, formatNumber } from '../vocabulary/format-fr.js';
import { exitMessageText, jobLabel, stepLabel } from '../vocabulary/words-fr.js';

export interface FailureNotifierOptions {
  readonly db: Kysely<BatchDb>;
  readonly mailer: Mailer;
  readonly topic: string;
  readonly techAdmins: readonly string[];
  readonly logger: Logger;
  /** The zone the mail's date is written in (BATCH_TIMEZONE); the runtime's when absent. */
  readonly timeZone?: string;
}

export function jobFailureNotifier(options: FailureNotifierOptions): BatchListener {
  return {
    async afterJob(execution, steps) {
      if (execution.status !== 'FAILED') return;
      const event = failureEvent(execution, steps);
      await enqueue(options.db, event, { topic: options.topic, key: execution.jobName, now: execution.endTime ?? new Date() });
      if (options.techAdmins.length === 0) {
        options.logger.warn({ job: execution.jobName, execution: execution.id }, 'job failed and TECH_ADMIN_EMAILS is empty: nobody is mailed');
        return;
      }
      try {
        await options.mailer.send({ to: options.techAdmins, subject: failureSubject(execution), text: failureText(event, options.timeZone) });
      } catch (error) {
        options.logger.error({ err: error, job: execution.jobName, execution: execution.id }, 'could not mail the technical team about a failed job');
      }
    },
  };
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
