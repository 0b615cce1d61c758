/**
 * Assembles the parts every entry point needs: databases, job repository, jobs and the
 * operator with its engine-wide listeners. Nothing here runs a job by itself.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { closeDatabases, migrate, openDatabases, type Databases } from './db/databases.js';
import { JobOperator } from './engine/job-operator.js';
import { JobRepository } from './engine/job-repository.js';
import type { BatchListener } from './engine/types.js';
import { executionHistoryListener } from './history/execution-history.js';
import { createJobs } from './jobs/registry.js';
import { loggingListener } from './observability/logging-listener.js';
import { AuditLog } from './security/audit-log.js';
import { auditListener } from './security/audit-listener.js';

export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly databases: Databases;
  readonly repository: JobRepository;
  readonly operator: JobOperator;
  /** One per process, so this process's appends queue instead of racing (security/audit-log.ts). */
  readonly audit: AuditLog;
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
    const applied = await migrate(databases);
    if (applied.length > 0) logger.info({ migrations: applied }, `batchdb migrated: ${applied.join(', ')}`);
  } catch (error) {
    await closeDatabases(databases);
    throw error;
  }
  const repository = new JobRepository(databases.batch.db);
  const audit = new AuditLog(databases.batch.db);
  const operator = new JobOperator(repository, createJobs(config, databases), {
    heartbeatIntervalMs: config.engine.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.engine.heartbeatTimeoutMs,
    checkpointIntervalMs: config.engine.checkpointIntervalMs,
    logger,
    listeners: [
      loggingListener(logger),
      executionHistoryListener(databases.batch.db),
      auditListener(audit),
      ...(options.listeners ?? []),
    ],
  });
  return { config, logger, databases, repository, operator, audit, close: () => closeDatabases(databases) };
}
