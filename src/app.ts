/**
 * Assembles the parts every entry point needs: databases, job repository, jobs and the
 * operator with its engine-wide listeners. Nothing here runs a job by itself.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { DATABASE_NAMES, type Config } from './config.js';
import type { DatabaseHandle } from './db/connect.js';
import { isHeldByAnother, isUnreachable } from './db/errors.js';
import { closeDatabases, migrate, openDatabases, type Databases } from './db/databases.js';
import { JobOperator } from './engine/job-operator.js';
import { ExecutionReadModel } from './engine/execution-read-model.js';
import { JobRepository } from './engine/job-repository.js';
import type { BatchListener } from './engine/types.js';
import { executionHistoryListener } from './history/execution-history.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { jobFailureNotifier } from './notifications/job-failure-notifier.js';
import { MailOutbox } from './notifications/mail-outbox.js';
import { createJobs } from './jobs/registry.js';
import { databaseIndicators, sessionKillIndicator } from './observability/database-health.js';
import { diskSpaceIndicator } from './observability/disk-space-health.js';
import { HealthRegistry } from './observability/health.js';
import { mailIndicator } from './observability/integration-health.js';
import { eventBrokerIndicator } from './events/event-broker-health.js';
import { kafkaSender } from './events/event-sender.js';
import { OutboxRelay } from './events/outbox-relay.js';
import { loggingListener } from './observability/logging-listener.js';
import { metricsListener } from './observability/metrics-listener.js';
import { createBatchMetrics, type BatchMetrics } from './observability/metrics.js';
import { countByStatus } from './events/outbox.js';
import { AuditLog } from './security/audit-log.js';
import { EndAudit } from './security/audit-listener.js';
import { archiveKeysIndicator } from './archives/archive-keys.js';
import { runSessions } from './db/sessions.js';

export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly databases: Databases;
  readonly repository: JobRepository;
  /** What listings read (the API's job list and pages, `batch-service executions`). */
  readonly executions: ExecutionReadModel;
  readonly operator: JobOperator;
  readonly mailer: Mailer;
  /** Sends the mails written with the facts they tell (a failed run's notice); `serve` runs it regularly. */
  readonly mailOutbox: MailOutbox;
  /** Delivers the outbox to Kafka once started (`serve` starts it); absent without KAFKA_BROKERS. */
  readonly relay?: OutboxRelay;
  /** Health components; modules that bring an integration register their indicator here. */
  readonly health: HealthRegistry;
  /** This app's Prometheus metrics (`/actuator/prometheus`). */
  readonly metrics: BatchMetrics;
  /** One per process, so this process's appends queue instead of racing (security/audit-log.ts). */
  readonly audit: AuditLog;
  /** JOB_EXECUTION_END entries: appended by each run, caught up by `serve` for runs whose process died first. */
  readonly endAudit: EndAudit;
  close(): Promise<void>;
}

export interface AppOptions {
  /** More engine listeners (the CLI's progress line, for example). */
  readonly listeners?: readonly BatchListener[];
}

/** Opens the databases, applies batchdb's migrations (9.8) and builds the operator. */
export async function createApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  const databases = openDatabases(config);
  try {
    const applied = await whenReachable('migrations', () => migrate(databases), config.dbStartupWaitMs, logger);
    if (applied.length > 0) logger.info({ migrations: applied }, `batchdb migrated: ${applied.join(', ')}`);
  } catch (error) {
    await closeDatabases(databases);
    throw error;
  }
  const repository = new JobRepository(databases.batch.db, undefined, runSessions(DATABASE_NAMES.map((name) => databases[name] as DatabaseHandle<unknown>), logger));
  const audit = new AuditLog(databases.batch.db);
  const endAudit = new EndAudit(databases.batch.db, audit, repository);
  const mailer = createMailer(
    { smtpUrl: config.mail.smtpUrl, from: config.mail.from, mailDir: path.join(config.dataDir, 'mail'), timeoutMs: config.mail.timeoutMs },
    logger,
  );
  const mailOutbox = new MailOutbox(databases.batch.db, mailer, logger, { owner: repository.host });
  const failureNotifier = jobFailureNotifier({
    db: databases.batch.db,
    mailer,
    outbox: mailOutbox,
    topic: config.kafka.topic,
    techAdmins: config.mail.techAdmins,
    logger,
    timeZone: config.timeZone,
  });
  const executions = new ExecutionReadModel(databases.batch.db);
  const metrics = createBatchMetrics({
    pendingEvents: async () => (await countByStatus(databases.batch.db)).PENDING,
    jobFigures: () => executions.jobFigures(),
  });
  const operator = new JobOperator(repository, createJobs(config, databases, { mailer, logger, audit }), {
    heartbeatIntervalMs: config.engine.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.engine.heartbeatTimeoutMs,
    statementTimeoutMs: config.pool.statementTimeoutMs,
    poolWaitTimeoutMs: config.pool.waitTimeoutMs,
    stepTimeoutMs: config.engine.stepTimeoutMs,
    checkpointIntervalMs: config.engine.checkpointIntervalMs,
    timeZone: config.timeZone,
    logger,
    listeners: [
      loggingListener(logger),
      executionHistoryListener(databases.batch.db),
      metricsListener(metrics),
      failureNotifier,
      endAudit.listener(),
      ...(options.listeners ?? []),
    ],
  });
  // Without KAFKA_BROKERS the events wait in the outbox (`batch-service events`).
  const relay =
    config.kafka.brokers.length > 0
      ? new OutboxRelay(databases.batch.db, kafkaSender({ brokers: config.kafka.brokers }, logger), logger, { owner: repository.host, metrics })
      : undefined;
  const timeoutMs = config.operations.healthTimeoutMs;
  const health = new HealthRegistry(
    [
      ...databaseIndicators(databases),
      sessionKillIndicator(databases.batch as DatabaseHandle<unknown>),
      diskSpaceIndicator(
        [
          ['DATA_DIR', config.dataDir],
          ['UPLOADS_DIR', config.uploadsDir],
          ['REPORTS_DIR', config.reportsDir],
          ['ARCHIVES_DIR', config.archivesDir],
          ['LOG_DIR', config.logDir],
        ],
        config.operations.diskMinFreeBytes,
      ),
      mailIndicator(config, timeoutMs),
      eventBrokerIndicator(config, databases.batch.db, relay, timeoutMs),
      archiveKeysIndicator(config),
    ],
    timeoutMs,
  );
  return {
    config,
    logger,
    databases,
    repository,
    executions,
    operator,
    mailer,
    mailOutbox,
    relay,
    health,
    metrics,
    audit,
    endAudit,
    async close() {
      await operator.settled();
      await mailOutbox.settled();
      await relay?.stop();
      mailer.close();
      await closeDatabases(databases);
    },
  };
}

/**
 * `work`, tried again for up to `waitMs` while batchdb cannot be reached (refused, reset,
 * shutting down): a service started with its database, or while the database restarts,
 * comes up once the database does instead of exiting. So too while another process holds
 * a lock the work waits for past the statement timeout: the migrations' named lock of a
 * replica that is migrating, or of a process paused in the middle (found by the fault
 * harness: `serve` exited 2 beside a paused run). Any other failure (bad password, a
 * migration refused) stops at once. Used for everything `serve` and the commands do with
 * batchdb before they are up: migrations, the sweep of abandoned runs, missed fires.
 */
export async function whenReachable<T>(what: string, work: () => Promise<T>, waitMs: number, logger: Logger): Promise<T> {
  const until = Date.now() + waitMs;
  for (let pause = 250; ; pause = Math.min(pause * 2, 5_000)) {
    try {
      return await work();
    } catch (error) {
      const cause = (error as Error).cause ?? error;
      const held = isHeldByAnother(cause);
      if (!(held || isUnreachable(cause)) || Date.now() + pause > until) throw error;
      const why = held ? 'waits on a lock another process holds (a replica migrating, a paused process)' : 'cannot be reached';
      logger.warn(`${what}: batchdb ${why} (${(cause as Error).message}); trying again in ${pause} ms, until DB_STARTUP_WAIT_MS runs out`);
      await sleep(pause);
    }
  }
}
