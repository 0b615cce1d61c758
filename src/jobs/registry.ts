/**
 * The jobs this service runs (CONTRACT.md names). Adding a job is one line in JOBS plus
 * its folder; its schedule is already in `allSchedules` and becomes active with it.
 */
import type { Config } from '../config.js';
import type { Databases } from '../db/databases.js';
import type { JobDefinition } from '../engine/types.js';
import { DUREE_DOCTORAT_ALERT_JOB, dureeDoctoratAlertJob } from './dureeDoctoratAlertJob/duree-doctorat-alert-job.js';
import { allSchedules, type ScheduledJob } from './schedules.js';
import { TOKEN_CLEANUP_JOB, tokenCleanupJob } from './tokenCleanupJob/token-cleanup-job.js';

export type { ScheduledJob } from './schedules.js';

interface JobEntry {
  readonly name: string;
  readonly create: (config: Config, databases: Databases) => JobDefinition;
}

const JOBS: readonly JobEntry[] = [
  { name: TOKEN_CLEANUP_JOB, create: (config, dbs) => tokenCleanupJob({ userDb: dbs.user, chunkSize: config.jobs.tokenCleanup.chunkSize }) },
  {
    name: DUREE_DOCTORAT_ALERT_JOB,
    create: (config, dbs) =>
      dureeDoctoratAlertJob({
        batch: dbs.batch,
        user: dbs.user,
        inscription: dbs.inscription,
        topic: config.kafka.topic,
        timeZone: config.timeZone,
        ...config.jobs.dureeDoctoratAlert,
      }),
  },
];

export function createJobs(config: Config, databases: Databases): readonly JobDefinition[] {
  return JOBS.map((job) => job.create(config, databases));
}

/** The schedules of the jobs that exist: a schedule without its job would only log refusals. */
export function schedules(config: Config): readonly ScheduledJob[] {
  return allSchedules(config).filter((s) => JOBS.some((job) => job.name === s.jobName));
}
