/**
 * The cron schedule of every job of docs/requirements.md, whether or not the job is built yet, so
 * the five expressions (and their overrides) are known from the configuration alone.
 */
import type { Config } from '../config.js';

export interface ScheduledJob {
  readonly jobName: string;
  /** Quartz-style, six fields with seconds, in BATCH_TIMEZONE. */
  readonly cron: string;
}

export function allSchedules(config: Config): readonly ScheduledJob[] {
  return [
    { jobName: 'tokenCleanupJob', cron: config.jobs.tokenCleanup.cron },
    { jobName: 'dureeDoctoratAlertJob', cron: config.jobs.dureeDoctoratAlert.cron },
    { jobName: 'monthlyReportJob', cron: config.jobs.monthlyReport.cron },
    { jobName: 'archiveJob', cron: config.jobs.archive.cron },
    { jobName: 'dataConsistencyJob', cron: config.jobs.dataConsistency.cron },
  ];
}
