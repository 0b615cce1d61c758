/**
 * Every setting of batch-service, parsed and validated once (9.9).
 *
 * Settings come from the environment; a `.env` file in the working directory is
 * read first (variables already set win). A wrong value stops the process with
 * the variable's name, the value (masked for secrets) and what is expected.
 * The declaration in config/settings.ts is the one place for each variable's name,
 * default, description and validation; config/rules.ts holds the rules that span
 * several. The README's configuration table is this file's `settingDocs()` output.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { readSettings, type Env, type SettingDoc } from './config/reader.js';
import { poolTimeouts, problemsInOrder } from './config/rules.js';
import { SETTINGS, type Settings } from './config/settings.js';
import type { Config } from './config/types.js';

export { maskUrl, parseDuration } from './config/checks.js';
export type { Env } from './config/reader.js';
export { DATABASE_NAMES, type Config, type DatabaseName, type OperationsSettings, type PoolSettings } from './config/types.js';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Builds the configuration from an environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const reading = readSettings(SETTINGS.properties, env);
  const settings = reading.values as Settings;
  const problems = problemsInOrder(Object.keys(SETTINGS.properties), reading.problems, settings, { env, unset: reading.unset });
  if (problems.length > 0) throw new ConfigError(problems);
  return configOf(settings);
}

/** The documented settings, in the order they are declared (README's configuration table). */
export function settingDocs(): readonly SettingDoc[] {
  return readSettings(SETTINGS.properties, {}).docs;
}

/** The settings, grouped as the service reads them, with what an unset one stands for. */
function configOf(s: Settings): Config {
  return {
    port: s.PORT,
    host: s.HOST,
    dataDir: s.DATA_DIR,
    databases: { batch: s.BATCH_DB_URL, user: s.USER_DB_URL, inscription: s.INSCRIPTION_DB_URL, defense: s.DEFENSE_DB_URL, notification: s.NOTIFICATION_DB_URL },
    pool: { size: s.DB_POOL_SIZE, connectTimeoutMs: s.DB_CONNECT_TIMEOUT_MS, ...poolTimeouts(s) },
    dbStartupWaitMs: s.DB_STARTUP_WAIT_MS,
    uploadsDir: s.UPLOADS_DIR,
    reportsDir: s.REPORTS_DIR,
    archivesDir: s.ARCHIVES_DIR,
    logDir: s.LOG_DIR,
    logLevel: s.LOG_LEVEL,
    // A person at a terminal reads pretty lines; a pipe or a container's log collector gets JSON.
    // The declaration's refinement lets json and pretty through only.
    logFormat: (s.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json')) as Config['logFormat'],
    reportLogo: s.REPORT_LOGO,
    jwt: {
      secret: s.JWT_SECRET,
      jwksUrl: s.JWT_JWKS_URL,
      issuer: s.JWT_ISSUER,
      audience: s.JWT_AUDIENCE,
      rolesClaim: s.JWT_ROLES_CLAIM,
      maxTtlSeconds: s.JWT_MAX_TTL / 1000,
      clockSkewSeconds: s.JWT_CLOCK_SKEW / 1000,
    },
    api: { runsPerMinute: s.RATE_LIMIT_RUN_PER_MINUTE, trustProxy: s.TRUST_PROXY ?? false },
    archiveKeys: s.ARCHIVE_KEYS,
    archiveKeyFile: s.ARCHIVE_KEY_FILE,
    kafka: { brokers: s.KAFKA_BROKERS ?? [], topic: s.KAFKA_TOPIC_NOTIFICATIONS },
    mail: { smtpUrl: s.SMTP_URL, from: s.MAIL_FROM, techAdmins: s.TECH_ADMIN_EMAILS ?? [], timeoutMs: s.SMTP_TIMEOUT_MS },
    timeZone: s.BATCH_TIMEZONE ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    scheduler: { enabled: s.SCHEDULER_ENABLED, misfireGraceMs: s.SCHEDULER_MISFIRE_GRACE_MS },
    demoData: s.DEMO_DATA,
    engine: {
      heartbeatIntervalMs: s.BATCH_HEARTBEAT_INTERVAL_MS,
      heartbeatTimeoutMs: s.BATCH_HEARTBEAT_TIMEOUT_MS,
      checkpointIntervalMs: s.BATCH_CHECKPOINT_INTERVAL_MS,
      stepTimeoutMs: s.BATCH_STEP_TIMEOUT_MS,
    },
    jobs: {
      tokenCleanup: { chunkSize: s.TOKEN_CLEANUP_CHUNK_SIZE, cron: s.TOKEN_CLEANUP_CRON, retentionDays: s.BATCH_RETENTION_DAYS },
      dureeDoctoratAlert: {
        cron: s.DUREE_DOCTORAT_ALERT_CRON,
        warningMonths: s.DUREE_ALERT_WARNING_MONTHS,
        chunkSize: s.DUREE_ALERT_CHUNK_SIZE,
        skipLimit: s.DUREE_ALERT_SKIP_LIMIT,
      },
      monthlyReport: { cron: s.MONTHLY_REPORT_CRON },
      archive: { cron: s.ARCHIVE_CRON, skipLimit: s.ARCHIVE_SKIP_LIMIT, maintainSiblings: s.DB_MAINTENANCE_SIBLINGS },
      dataConsistency: { cron: s.DATA_CONSISTENCY_CRON, roleSyncRevoke: s.ROLE_SYNC_REVOKE },
    },
    operations: {
      diskMinFreeBytes: s.HEALTH_DISK_MIN_FREE_MB * 1024 * 1024,
      healthTimeoutMs: s.HEALTH_TIMEOUT_MS,
      shutdownTimeoutMs: s.SHUTDOWN_TIMEOUT_MS,
      gitCommit: s.GIT_COMMIT,
      eureka: {
        url: s.EUREKA_URL,
        heartbeatIntervalMs: s.EUREKA_HEARTBEAT_INTERVAL_MS,
        instanceHost: s.EUREKA_INSTANCE_HOST ?? os.hostname(),
        instanceIp: s.EUREKA_INSTANCE_IP ?? firstExternalIpv4(),
      },
    },
  };
}

/** The address Eureka hands to other services; loopback only when there is no other. */
function firstExternalIpv4(): string {
  const addresses = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  return addresses.find((a) => a.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1';
}

/**
 * Reads `.env` from the working directory into process.env (variables already set win),
 * using Node's own parser.
 */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}
