/**
 * The jobs this service runs and their schedules (CONTRACT.md names). Adding a job is
 * one line here plus its folder.
 */
import type { Config } from '../config.js';
import type { Databases } from '../db/databases.js';
import type { JobDefinition } from '../engine/types.js';
import { DUREE_DOCTORAT_ALERT_JOB, dureeDoctoratAlertJob } from './dureeDoctoratAlertJob/duree-doctorat-alert-job.js';
import { TOKEN_CLEANUP_JOB, tokenCleanupJob } from './tokenCleanupJob/token-cleanup-job.js';

export interface ScheduledJob {
  readonly jobName: string;
  /** Quartz-style, six fields with seconds, in BATCH_TIMEZONE. */
  readonly cron: string;
}

export function createJobs(config: Config, databases: Databases): readonly JobDefinition[] {
  return [
    tokenCleanupJob({ userDb: databases.user, chunkSize: config.jobs.tokenCleanup.chunkSize }),
    dureeDoctoratAlertJob({
      batch: databases.batch,
      user: databases.user,
      inscription: databases.inscription,
      topic: config.kafka.topic,
      timeZone: config.timeZone,
      ...config.jobs.dureeDoctoratAlert,
    }),
  ];
}

export function schedules(config: Config): readonly ScheduledJob[] {
  return [
    { jobName: TOKEN_CLEANUP_JOB, cron: config.jobs.tokenCleanup.cron },
    { jobName: DUREE_DOCTORAT_ALERT_JOB, cron: config.jobs.dureeDoctoratAlert.cron },
  ];
}
