/**
 * Cron triggers (1.1, 2.1, 3.1, 4.1, 5.1) with croner, in BATCH_TIMEZONE. A scheduled
 * launch passes its fire time as the identifying `runAt`, so replicas firing the same
 * schedule ask for the same JobInstance and the repository lets one of them run it.
 */
import { Cron } from 'croner';
import type { Logger } from 'pino';
import { JobAlreadyRunningError, JobInstanceAlreadyCompleteError } from '../engine/errors.js';
import type { JobOperator } from '../engine/job-operator.js';
import type { ScheduledJob } from '../jobs/registry.js';

export interface Scheduler {
  /** Next fire time of each job. */
  nextRuns(): ReadonlyMap<string, Date | null>;
  stop(): void;
}

export function startScheduler(operator: JobOperator, jobs: readonly ScheduledJob[], timeZone: string, logger: Logger): Scheduler {
  const crons = jobs.map(({ jobName, cron }) => {
    const job: Cron = new Cron(cron, { timezone: timeZone, name: jobName, protect: true }, async () => {
      const fireTime = job.currentRun() ?? new Date();
      fireTime.setMilliseconds(0);
      try {
        const { execution } = await operator.start(jobName, {
          parameters: { runAt: fireTime.toISOString() },
          trigger: 'SCHEDULED',
          triggeredBy: 'scheduler',
        });
        logger.info({ job: jobName, execution: execution.id, fireTime }, `${jobName} fired by its schedule`);
      } catch (error) {
        // Another replica took this fire time: the expected outcome in a cluster.
        if (error instanceof JobAlreadyRunningError || error instanceof JobInstanceAlreadyCompleteError) {
          logger.info({ job: jobName, fireTime }, `${jobName} schedule: ${error.message}`);
        } else {
          logger.error({ err: error, job: jobName, fireTime }, `${jobName} schedule could not launch the job`);
        }
      }
    });
    return job;
  });
  logger.info({ timeZone, jobs: jobs.map((j) => `${j.jobName} ${j.cron}`) }, 'scheduler started');
  return {
    nextRuns: () => new Map(crons.map((c) => [c.name ?? '', c.nextRun()])),
    stop: () => crons.forEach((c) => c.stop()),
  };
}
