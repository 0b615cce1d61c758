/**
 * Every environment variable of batch-service, declared once: its name, its description
 * (the README table's meaning), its default and its validation, as a TypeBox schema (9.9).
 * The table adds an Enum's choices and "(secret, never logged)" to the description.
 *
 * The order is the README table's and the order problems are reported in. A variable is
 * text: an Integer or Boolean schema is checked on the number or boolean it spells
 * (reader.ts); a Decode turns the checked text into the value the service uses.
 * Keywords beyond JSON Schema's own (`whenUnset`, `defaultFrom`, `mask`, `defaultAsCode`)
 * are described in reader.ts.
 */
import path from 'node:path';
import { Type, type StaticDecode } from 'typebox';
import {
  cronProblem, isDatabaseUrl, isHttpUrl, isReportLogo, isTimeZone, listOf, parseDuration, proxiesNotUnderstood, trustedProxies,
} from './checks.js';
import type { Earlier } from './reader.js';

/** For an integer bounded only below: larger ones are not held exactly by a number. */
const SAFE = Number.MAX_SAFE_INTEGER;

/** `<n>ms`, `<n>s`, `<n>m`, `<n>h` or `<n>d`, read as milliseconds; the bounds are milliseconds too. */
function Duration(minMs: number, maxMs: number, options: { default: string; description: string }) {
  const inBounds = (text: string) => {
    const ms = parseDuration(text);
    return ms !== undefined && ms >= minMs && ms <= maxMs;
  };
  const expected = `a duration such as 30s, 15m, 24h or 7d, between ${minMs} ms and ${maxMs} ms`;
  return Type.Decode(Type.Refine(Type.String(options), inBounds, () => expected), (text) => parseDuration(text)!);
}

/** Checked by the scheduler's own parser, so a schedule it would refuse stops the start. */
function Cron(expression: string, description: string) {
  return Type.Refine(
    Type.String({ default: expression, description, defaultAsCode: true }),
    (text) => cronProblem(text) === undefined,
    (text) => `a Quartz-style cron expression (${cronProblem(text)})`,
  );
}

function DatabaseUrl(file: string, description: string) {
  return Type.Refine(
    Type.String({ description, mask: 'password', defaultFrom: (earlier: Earlier) => `sqlite:${path.join(earlier.DATA_DIR as string, file)}` }),
    isDatabaseUrl,
    () => 'sqlite:<path> or mysql://user:password@host:port/database',
  );
}

/** A directory under DATA_DIR unless set; a relative one is taken from the working directory. */
function Directory(name: string, description: string) {
  return Type.Decode(
    Type.String({ description, defaultFrom: (earlier: Earlier) => path.join(earlier.DATA_DIR as string, name) }),
    (dir) => path.resolve(dir),
  );
}

/** Comma-separated; blank entries are dropped. */
function List(description: string, whenUnset: string) {
  return Type.Optional(Type.Decode(Type.String({ description, whenUnset }), listOf));
}

function Text(description: string, whenUnset: string) {
  return Type.Optional(Type.String({ description, whenUnset }));
}

function Secret(description: string, whenUnset: string) {
  return Type.Optional(Type.String({ description, whenUnset, mask: 'secret' }));
}

export const SETTINGS = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8085, description: 'HTTP port' }),
  HOST: Type.String({ default: '0.0.0.0', description: 'address the HTTP server listens on' }),
  DATA_DIR: Type.Decode(Type.String({ default: './data', description: 'root of every default path below' }), (dir) => path.resolve(dir)),
  BATCH_DB_URL: DatabaseUrl('batchdb.sqlite', "the service's own database"),
  USER_DB_URL: DatabaseUrl('userdb.sqlite', 'user service database'),
  INSCRIPTION_DB_URL: DatabaseUrl('inscriptiondb.sqlite', 'inscription service database'),
  DEFENSE_DB_URL: DatabaseUrl('defensedb.sqlite', 'defense service database'),
  NOTIFICATION_DB_URL: DatabaseUrl('notificationdb.sqlite', 'notification service database'),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 10, description: 'MariaDB connections per database' }),
  DB_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: SAFE, default: 10_000, description: 'MariaDB connect timeout' }),
  DB_STATEMENT_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    maximum: SAFE,
    default: 0,
    description:
      'longest a statement may run (MariaDB `max_statement_time`) or wait on a lock (MariaDB) / for the write lock (SQLite busy timeout); 0 = a third of BATCH_HEARTBEAT_TIMEOUT_MS, at most 15000; never more than that third. A SQLite statement still computing after twice this (at least 5 s) ends the process (better-sqlite3 cannot interrupt it)',
  }),
  DB_POOL_WAIT_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    maximum: SAFE,
    default: 0,
    description:
      'longest a query waits for a free connection of its pool (more concurrent steps than connections) before it fails, naming the database; 0 = a quarter of the statement timeout, at most 5000',
  }),
  DB_STARTUP_WAIT_MS: Type.Integer({
    minimum: 0,
    maximum: 3_600_000,
    default: 60_000,
    description:
      '`serve` and the commands: how long they wait at start for batchdb to answer (a database restarting, or started after the service) before they stop with exit 2; 0 = not at all',
  }),
  UPLOADS_DIR: Directory('uploads', 'uploaded documents (documents.chemin is relative to it)'),
  REPORTS_DIR: Directory('reports', 'generated PDF reports'),
  ARCHIVES_DIR: Directory('archives', 'encrypted archives'),
  LOG_DIR: Directory('logs', 'application and error log files'),
  LOG_LEVEL: Type.Enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'], { default: 'info', description: 'log level' }),
  LOG_FORMAT: Type.Optional(
    Type.Refine(
      Type.String({
        description: 'console log lines: `json`, or `pretty` (human lines, pino-pretty); the files under LOG_DIR stay JSON',
        whenUnset: 'pretty when stdout is a terminal, else json',
      }),
      (text) => text === 'json' || text === 'pretty',
      () => 'json or pretty',
    ),
  ),
  // Its length (at least 32 bytes) is a rule (rules.ts), so that problem keeps its place after
  // the API's settings.
  JWT_SECRET: Secret(
    'HS256 secret for API tokens',
    'embedded default (no JWT setting, SQLite only): generated in DATA_DIR/jwt-secret; otherwise none: the API refuses every request',
  ),
  JWT_JWKS_URL: Text('JWKS URL for RS256/ES256 API tokens', 'none'),
  JWT_ISSUER: Text('required `iss` of API tokens', 'not checked'),
  JWT_AUDIENCE: Text('required `aud` of API tokens', 'not checked'),
  JWT_ROLES_CLAIM: Type.String({
    default: 'roles',
    description: 'claim of API tokens holding the roles (`authorities` is read too); ADMIN or ROLE_ADMIN is admin',
  }),
  JWT_MAX_TTL: Duration(60_000, 366 * 86_400_000, {
    default: '24h',
    description: 'longest accepted lifetime of an API token (`exp − iat`, or `exp − now` without `iat`); a token without `exp` is refused',
  }),
  JWT_CLOCK_SKEW: Duration(0, 300_000, {
    default: '30s',
    description: 'leeway on `exp`, `nbf` and `iat` of API tokens, for clocks slightly apart',
  }),
  RATE_LIMIT_RUN_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 5,
    description: 'job launches (run, restart) per user and per minute on each endpoint; more get 429',
  }),
  // Unset, the TCP peer is the client, and a forged X-Forwarded-For is never believed.
  TRUST_PROXY: Type.Optional(
    Type.Decode(
      Type.Refine(
        Type.String({
          description:
            'proxies whose X-Forwarded-For is believed for the client address: a hop count, or addresses/CIDRs (comma-separated; also loopback, linklocal, uniquelocal)',
          whenUnset: 'none: the TCP peer is the client',
        }),
        (text) => proxiesNotUnderstood(text) === undefined,
        (text) => `a hop count or addresses/CIDRs such as 10.0.0.0/8,192.168.1.4 (not understood: ${proxiesNotUnderstood(text)})`,
      ),
      trustedProxies,
    ),
  ),
  REPORT_LOGO: Type.Optional(
    Type.Refine(
      Type.String({ description: 'SVG or PNG logo drawn on the PDF reports', whenUnset: "the project's own (assets/logo.svg)" }),
      isReportLogo,
      () => 'an existing .svg or .png file',
    ),
  ),
  // Both are checked, with the key file's ownership and mode, by a rule (rules.ts): a typo
  // would otherwise surface at archiveJob's quarterly run, months later.
  ARCHIVE_KEYS: Secret(
    'archive keys, keyId:base64key list, first is current; checked at start',
    'embedded default: generated in DATA_DIR/archive-keys; otherwise none: archiveJob is refused and health shows archiveKeys DOWN',
  ),
  ARCHIVE_KEY_FILE: Text("file holding ARCHIVE_KEYS, owned by the service's user or root, mode 0600, 0400, 0640 or 0440", 'none'),
  KAFKA_BROKERS: List('Kafka brokers, host:port list', 'none: events stay in the outbox'),
  KAFKA_TOPIC_NOTIFICATIONS: Type.String({ default: 'notifications', description: 'topic of notification events' }),
  SMTP_URL: Secret('SMTP server, smtp://user:pass@host:port', 'none: mails written as .eml under DATA_DIR/mail'),
  MAIL_FROM: Type.String({ default: 'batch-service@localhost', description: 'sender address' }),
  TECH_ADMIN_EMAILS: List('technical team addresses for failure alerts', 'none'),
  SMTP_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: SAFE,
    default: 5_000,
    description: 'SMTP connection, greeting and socket-inactivity timeout; a silent server fails the attempt (then retried)',
  }),
  // Unset, it is the system's zone, except where a rule (rules.ts) requires it.
  BATCH_TIMEZONE: Type.Optional(
    Type.Refine(
      Type.String({
        description: 'IANA zone of the cron schedules, of date rules and of the report months (e.g. Europe/Paris)',
        whenUnset: "required with any MariaDB database or NODE_ENV=production; otherwise the system's zone",
      }),
      isTimeZone,
      () => 'an IANA time zone such as Europe/Paris',
    ),
  ),
  SCHEDULER_ENABLED: Type.Boolean({ default: true, description: 'run the cron schedules' }),
  SCHEDULER_MISFIRE_GRACE_MS: Type.Integer({
    minimum: 0,
    maximum: SAFE,
    default: 3_600_000,
    description: 'a fire missed while the service was down runs once at start-up when younger than this (0 = never)',
  }),
  DEMO_DATA: Type.Enum(['auto', 'never'], { default: 'auto', description: 'create demo data at start when the sibling databases are empty SQLite files' }),
  BATCH_HEARTBEAT_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: SAFE, default: 5_000, description: 'heartbeat and stop-request poll of a running execution' }),
  BATCH_HEARTBEAT_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: SAFE, default: 60_000, description: 'an execution silent this long is marked FAILED (abandoned)' }),
  BATCH_CHECKPOINT_INTERVAL_MS: Type.Integer({
    minimum: 0,
    maximum: SAFE,
    default: 1_000,
    description: 'how far the saved position of a chunk step may trail (0 = every chunk)',
  }),
  BATCH_STEP_TIMEOUT_MS: Type.Integer({
    minimum: 1_000,
    maximum: SAFE,
    default: 14_400_000,
    description: 'a step still running after this long fails (FAILED, restartable), unless the job gives it its own timeout; 4 hours by default',
  }),
  TOKEN_CLEANUP_CHUNK_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'tokenCleanupJob chunk size (1.4)' }),
  TOKEN_CLEANUP_CRON: Cron('0 0 2 * * ?', 'tokenCleanupJob schedule (1.1)'),
  // At least 30: a month of steps and skipped items to investigate a failure with.
  BATCH_RETENTION_DAYS: Type.Integer({
    minimum: 30,
    maximum: 36_500,
    default: 400,
    description:
      "days batchdb keeps finished executions (with their steps, skips and history), delivered outbox events and rate-limit windows; tokenCleanupJob's purgeBatchHistoryStep deletes older ones (never a running or restartable run, nor the audit log)",
  }),
  DUREE_DOCTORAT_ALERT_CRON: Cron('0 0 8 ? * MON', 'dureeDoctoratAlertJob schedule (2.1)'),
  DUREE_ALERT_WARNING_MONTHS: Type.Integer({ minimum: 0, maximum: 36, default: 6, description: 'months before 6 years when the 6_ANS alert starts (2.2, 2.4)' }),
  DUREE_ALERT_CHUNK_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 50, description: 'dureeDoctoratAlertJob page and chunk size (2.8)' }),
  DUREE_ALERT_SKIP_LIMIT: Type.Integer({
    minimum: 0,
    maximum: SAFE,
    default: 100,
    description: 'inscriptions whose doctorant is missing from userdb skipped before the job fails',
  }),
  MONTHLY_REPORT_CRON: Cron('0 0 9 1 * ?', 'monthlyReportJob schedule (3.1)'),
  ARCHIVE_CRON: Cron('0 0 3 1 1,4,7,10 ?', 'archiveJob schedule (4.1)'),
  ARCHIVE_SKIP_LIMIT: Type.Integer({
    minimum: 0,
    maximum: SAFE,
    default: 100,
    description: 'records archiveJob may skip (a document missing, unreadable, a symlink, outside UPLOADS_DIR) before it fails',
  }),
  DB_MAINTENANCE_SIBLINGS: Type.Boolean({
    default: false,
    description:
      "archiveJob's optimizeDatabaseStep also maintains the sibling tables it touched (on MariaDB OPTIMIZE TABLE rebuilds them: their owners' call); false: batchdb's archive tables only",
  }),
  DATA_CONSISTENCY_CRON: Cron('0 0 23 * * ?', 'dataConsistencyJob schedule (5.1)'),
  ROLE_SYNC_REVOKE: Type.Boolean({
    default: true,
    description: 'dataConsistencyJob takes ROLE_DOCTORANT_ACTIF from a doctorant no longer active (5.6); false: the role is only added',
  }),
  HEALTH_DISK_MIN_FREE_MB: Type.Integer({
    minimum: 0,
    maximum: SAFE,
    default: 100,
    description: 'health is DOWN when a data directory has less free space (MiB)',
  }),
  HEALTH_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: SAFE, default: 2_000, description: 'a health indicator slower than this counts as DOWN' }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: SAFE,
    default: 30_000,
    description: 'longest SIGTERM/SIGINT may take before the process exits anyway (exit code 1)',
  }),
  GIT_COMMIT: Text('commit shown by /actuator/info', 'the commit recorded by `npm run build`, if any'),
  EUREKA_URL: Type.Optional(
    Type.Refine(
      Type.String({
        description: "Eureka server, as Spring's defaultZone (e.g. http://eureka:8761/eureka/)",
        whenUnset: 'none: no registration',
        mask: 'password',
      }),
      isHttpUrl,
      () => 'an http:// or https:// URL',
    ),
  ),
  EUREKA_HEARTBEAT_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: SAFE, default: 30_000, description: 'Eureka lease renewal (heartbeat) interval' }),
  EUREKA_INSTANCE_HOST: Text('host name registered with Eureka', "the machine's host name"),
  EUREKA_INSTANCE_IP: Text('IP address registered with Eureka', "the machine's first non-loopback IPv4"),
});

/** The settings as read: each variable's decoded value, undefined for an unset optional one. */
export type Settings = StaticDecode<typeof SETTINGS>;
export type SettingName = keyof Settings;
