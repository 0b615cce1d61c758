/**
 * The jobs this service runs (names fixed in docs/requirements.md). Adding a job is one line in JOBS plus
 * its folder; its schedule is already in `allSchedules` and becomes active with it.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Databases } from '../db/databases.js';
import type { JobDefinition } from '../engine/types.js';
import { DUREE_DOCTORAT_ALERT_JOB, dureeDoctoratAlertJob } from './dureeDoctoratAlertJob/duree-doctorat-alert-job.js';
import type { Mailer } from '../mail/mailer.js';
import { loadArchiveKeys } from '../archives/archive-keys.js';
import type { AuditLog } from '../security/audit-log.js';
import { ARCHIVE_JOB, archiveJob } from './archiveJob/archive-job.js';
import { DATA_CONSISTENCY_JOB, dataConsistencyJob } from './dataConsistencyJob/data-consistency-job.js';
import { MONTHLY_REPORT_JOB, monthlyReportJob } from './monthlyReportJob/monthly-report-job.js';
import { allSchedules, type ScheduledJob } from './schedules.js';
import { TOKEN_CLEANUP_JOB, tokenCleanupJob } from './tokenCleanupJob/token-cleanup-job.js';

export type { ScheduledJob } from './schedules.js';

/** What jobs with side effects need besides the databases. */
export interface JobServices {
  readonly mailer: Mailer;
  readonly logger: Logger;
  readonly audit: AuditLog;
}

interface JobEntry {
  readonly name: string;
  readonly create: (config: Config, databases: Databases, services: JobServices) => JobDefinition;
}

const JOBS: readonly JobEntry[] = [
  {
    name: TOKEN_CLEANUP_JOB,
    create: (config, dbs) =>
      tokenCleanupJob({ userDb: dbs.user, batch: dbs.batch, chunkSize: config.jobs.tokenCleanup.chunkSize, retentionDays: config.jobs.tokenCleanup.retentionDays }),
  },
  {
    name: DUREE_DOCTORAT_ALERT_JOB,
    create: (config, dbs) =>
      dureeDoctoratAlertJob({
        batch: dbs.batch,
        user: dbs.user,
        inscription: dbs.inscription,
        defense: dbs.defense,
        topic: config.kafka.topic,
        timeZone: config.timeZone,
        ...config.jobs.dureeDoctoratAlert,
      }),
  },
  {
    name: MONTHLY_REPORT_JOB,
    create: (config, dbs, services) =>
      monthlyReportJob({
        ...dbs,
        ...services,
        reportsDir: config.reportsDir,
        timeZone: config.timeZone,
        topic: config.kafka.topic,
        warningMonths: config.jobs.dureeDoctoratAlert.warningMonths,
        techAdmins: config.mail.techAdmins,
        logoFile: config.reportLogo,
      }),
  },
  {
    name: ARCHIVE_JOB,
    create: (config, dbs, services) =>
      archiveJob({
        ...dbs,
        audit: services.audit,
        uploadsDir: config.uploadsDir,
        logDir: config.logDir,
        archivesDir: config.archivesDir,
        timeZone: config.timeZone,
        skipLimit: config.jobs.archive.skipLimit,
        maintainSiblings: config.jobs.archive.maintainSiblings,
        keys: () => loadArchiveKeys(config),
        logger: services.logger,
      }),
  },
  {
    name: DATA_CONSISTENCY_JOB,
    create: (config, dbs, services) =>
      dataConsistencyJob({
        ...dbs,
        ...services,
        uploadsDir: config.uploadsDir,
        reportsDir: config.reportsDir,
        techAdmins: config.mail.techAdmins,
        topic: config.kafka.topic,
        timeZone: config.timeZone,
        logoFile: config.reportLogo,
        roleSyncRevoke: config.jobs.dataConsistency.roleSyncRevoke,
      }),
  },
];

export function createJobs(config: Config, databases: Databases, services: JobServices): readonly JobDefinition[] {
  return JOBS.map((job) => job.create(config, databases, services));
}

/** The schedules of the jobs that exist: a schedule without its job would only log refusals. */
export function schedules(config: Config): readonly ScheduledJob[] {
  return allSchedules(config).filter((s) => JOBS.some((job) => job.name === s.jobName));
}
