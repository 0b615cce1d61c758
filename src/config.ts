/**
 * Every setting of batch-service, parsed and validated once (9.9).
 *
 * Settings come from the environment; a `.env` file in the working directory is
 * read first (variables already set win). A wrong value stops the process with
 * the variable's name, the value (masked for secrets) and what is expected.
 * The README's configuration table is this file's `settingDocs()` output.
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { quartzCron } from './cron/quartz-cron.js';
import { archiveKeysProblem } from './archives/archive-keys.js';
import { leaseTimingProblem } from './engine/lease.js';

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

interface SettingDoc {
  readonly name: string;
  readonly meaning: string;
  readonly default: string;
}

/** Parses one variable; collects problems instead of throwing so all are reported at once. */
class Reader {
  readonly problems: string[] = [];
  readonly docs: SettingDoc[] = [];

  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  private fail(name: string, value: string, expected: string, secret = false): void {
    this.problems.push(`${name}=${secret ? '****' : JSON.stringify(value)}: expected ${expected}`);
  }

  string(name: string, fallback: string, meaning: string): string {
    this.docs.push({ name, meaning, default: fallback === '' ? '(empty)' : fallback });
    return this.raw(name) ?? fallback;
  }

  optional(name: string, meaning: string, whenUnset: string): string | undefined {
    this.docs.push({ name, meaning, default: whenUnset });
    return this.raw(name);
  }

  secret(name: string, meaning: string, whenUnset: string): string | undefined {
    this.docs.push({ name, meaning: `${meaning} (secret, never logged)`, default: whenUnset });
    return this.raw(name);
  }

  int(name: string, fallback: number, meaning: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    this.docs.push({ name, meaning, default: String(fallback) });
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || parsed < min || parsed > max) {
      this.fail(name, value, `an integer between ${min} and ${max}`);
      return fallback;
    }
    return parsed;
  }

  /** A duration written `<n>ms`, `<n>s`, `<n>m`, `<n>h` or `<n>d`; returned in milliseconds. */
  duration(name: string, fallback: string, meaning: string, minMs: number, maxMs: number): number {
    this.docs.push({ name, meaning, default: fallback });
    const value = this.raw(name) ?? fallback;
    const parsed = parseDuration(value);
    if (parsed === undefined || parsed < minMs || parsed > maxMs) {
      this.fail(name, value, `a duration such as 30s, 15m, 24h or 7d, between ${minMs} ms and ${maxMs} ms`);
      return parseDuration(fallback)!;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean, meaning: string): boolean {
    this.docs.push({ name, meaning, default: String(fallback) });
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    this.fail(name, value, 'true or false');
    return fallback;
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T, meaning: string): T {
    this.docs.push({ name, meaning: `${meaning} (${choices.join(', ')})`, default: fallback });
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((choices as readonly string[]).includes(value)) return value as T;
    this.fail(name, value, `one of ${choices.join(', ')}`);
    return fallback;
  }

  dbUrl(name: string, fallback: string, meaning: string): string {
    this.docs.push({ name, meaning, default: fallback });
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (value.startsWith('sqlite:') && value.length > 'sqlite:'.length) return value;
    if (/^(mysql|mariadb):\/\/[^/]+\/[^/?]+/.test(value)) {
      try {
        new URL(value);
        return value;
      } catch {
        /* reported below */
      }
    }
    this.fail(name, maskUrl(value), 'sqlite:<path> or mysql://user:password@host:port/database');
    return fallback;
  }

  list(name: string, meaning: string, whenUnset: string): readonly string[] {
    this.docs.push({ name, meaning, default: whenUnset });
    return (this.raw(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  httpUrl(name: string, meaning: string, whenUnset: string): string | undefined {
    this.docs.push({ name, meaning, default: whenUnset });
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (/^https?:\/\/[^/]+/.test(value) && URL.canParse(value)) return value;
    this.fail(name, maskUrl(value), 'an http:// or https:// URL');
    return undefined;
  }

  cron(name: string, fallback: string, meaning: string): string {
    this.docs.push({ name, meaning, default: `\`${fallback}\`` });
    const value = this.raw(name) ?? fallback;
    try {
      quartzCron(value, 'UTC');
      return value;
    } catch (error) {
      this.fail(name, value, `a Quartz-style cron expression (${(error as Error).message})`);
      return fallback;
    }
  }

  /** `requiredBecause`: why an unset value is refused (a production-shaped configuration), or undefined. */
  timeZone(name: string, meaning: string, whenUnset: string, requiredBecause: string | undefined): string {
    const system = Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.docs.push({ name, meaning, default: whenUnset });
    const value = this.raw(name);
    if (value === undefined && requiredBecause !== undefined) {
      this.problems.push(`${name} is not set: required ${requiredBecause}, e.g. ${name}=Europe/Paris (the system's zone here is ${system})`);
      return system;
    }
    if (value === undefined) return system;
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return value;
    } catch {
      this.fail(name, value, 'an IANA time zone such as Europe/Paris');
      return system;
    }
  }
}

/**
 * TRUST_PROXY: a hop count, or a list of addresses, CIDRs and proxy-addr's names
 * (loopback, linklocal, uniquelocal). Unset: the TCP peer is the client, and a forged
 * X-Forwarded-For is never believed.
 */
function trustedProxies(r: Reader): false | number | readonly string[] {
  const raw = r.optional('TRUST_PROXY', 'proxies whose X-Forwarded-For is believed for the client address: a hop count, or addresses/CIDRs (comma-separated; also loopback, linklocal, uniquelocal)', 'none: the TCP peer is the client');
  if (raw === undefined) return false;
  if (/^\d{1,2}$/.test(raw)) return Number(raw);
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const valid = (entry: string) => {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
    const [address, bits, ...rest] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || rest.length > 0) return false;
    return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  };
  const bad = entries.filter((e) => !valid(e));
  if (entries.length === 0 || bad.length > 0) {
    r.problems.push(`TRUST_PROXY=${JSON.stringify(raw)}: expected a hop count or addresses/CIDRs such as 10.0.0.0/8,192.168.1.4 (not understood: ${bad.join(', ') || 'empty'})`);
    return false;
  }
  return entries;
}

/**
 * LOG_FORMAT: a person at a terminal reads pretty lines; anything else (a pipe, a
 * container's log collector) gets JSON lines, so the default follows stdout.
 */
function readLogFormat(r: Reader): 'json' | 'pretty' {
  const raw = r.optional('LOG_FORMAT', 'console log lines: `json`, or `pretty` (human lines, pino-pretty); the files under LOG_DIR stay JSON', 'pretty when stdout is a terminal, else json');
  if (raw === undefined) return process.stdout.isTTY ? 'pretty' : 'json';
  if (raw === 'json' || raw === 'pretty') return raw;
  r.problems.push(`LOG_FORMAT=${JSON.stringify(raw)}: expected json or pretty`);
  return 'json';
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `24h`…: milliseconds, or undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,9})(ms|s|m|h|d)$/.exec(text);
  return match ? Number(match[1]) * DURATION_UNITS_MS[match[2]!]! : undefined;
}

/** Replaces the password of a database URL by ****, for messages and logs (7.10). */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]+:)[^@]*@/i, '$1****@');
}

export type DatabaseName = 'batch' | 'user' | 'inscription' | 'defense' | 'notification';
export const DATABASE_NAMES: readonly DatabaseName[] = ['batch', 'user', 'inscription', 'defense', 'notification'];

export interface PoolSettings {
  readonly size: number;
  readonly connectTimeoutMs: number;
  /** Longest a statement may run or wait for a lock before it fails (transient, retried). */
  readonly statementTimeoutMs: number;
  /** Longest a query waits for a free connection of its database's pool before it fails. */
  readonly waitTimeoutMs: number;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databases: Readonly<Record<DatabaseName, string>>;
  readonly pool: PoolSettings;
  /** How long a start waits for batchdb to answer (restarting, or started after the service). */
  readonly dbStartupWaitMs: number;
  readonly uploadsDir: string;
  readonly reportsDir: string;
  readonly archivesDir: string;
  readonly logDir: string;
  readonly logLevel: string;
  /** Console lines: JSON, or pino-pretty's human lines; the files under LOG_DIR are JSON either way. */
  readonly logFormat: 'json' | 'pretty';
  readonly jwt: {
    readonly secret?: string;
    /**
     * Set only on the embedded default, where `secret` is the one generated in
     * DATA_DIR/jwt-secret at first start (lifecycle/first-start.ts), never from JWT_SECRET.
     */
    readonly secretFile?: string;
    readonly jwksUrl?: string;
    readonly issuer?: string;
    readonly audience?: string;
    /** Claim holding the roles; Spring's `authorities` is read too. */
    readonly rolesClaim: string;
    /** Leeway on `exp` and `nbf` for clocks slightly apart. */
    readonly clockSkewSeconds: number;
    /** Longest accepted token lifetime (`exp − iat`, or `exp − now` without `iat`), 6.10. */
    readonly maxTtlSeconds: number;
  };
  readonly api: {
    /** Launches (run, restart) one user may make per minute on each endpoint (6.11, 10.10). */
    readonly runsPerMinute: number;
    /**
     * Fastify's `trustProxy`: false, a hop count, or the addresses/CIDRs of the proxies
     * whose `X-Forwarded-For` is believed (the audited client address, 10.8).
     */
    readonly trustProxy: false | number | readonly string[];
  };
  /** The logo of the PDF reports (SVG or PNG); the project's own when unset. */
  readonly reportLogo?: string;
  readonly archiveKeys?: string;
  readonly archiveKeyFile?: string;
  readonly kafka: { readonly brokers: readonly string[]; readonly topic: string };
  readonly mail: { readonly smtpUrl?: string; readonly from: string; readonly techAdmins: readonly string[]; readonly timeoutMs: number };
  readonly timeZone: string;
  readonly scheduler: {
    readonly enabled: boolean;
    /** A fire missed while the service was down is run at start-up when younger than this. */
    readonly misfireGraceMs: number;
  };
  readonly demoData: 'auto' | 'never';
  readonly engine: {
    /** How often a running execution writes its heartbeat and looks for a stop request. */
    readonly heartbeatIntervalMs: number;
    /** An execution whose heartbeat is older than this is presumed dead (process killed). */
    readonly heartbeatTimeoutMs: number;
    /** Longest the saved position of a chunk step may trail its committed chunks. */
    readonly checkpointIntervalMs: number;
    /** The timeout of every step that sets none of its own. */
    readonly stepTimeoutMs: number;
  };
  readonly jobs: {
    readonly tokenCleanup: {
      readonly chunkSize: number;
      readonly cron: string;
      /** Ended executions, delivered outbox events and rate-limit windows older than this many days before runAt are purged. */
      readonly retentionDays: number;
    };
    readonly dureeDoctoratAlert: { readonly cron: string; readonly warningMonths: number; readonly chunkSize: number; readonly skipLimit: number };
    readonly monthlyReport: { readonly cron: string };
    readonly archive: {
      readonly cron: string;
      readonly skipLimit: number;
      /** optimizeDatabaseStep maintains the sibling tables too (4.8), not only batchdb's. */
      readonly maintainSiblings: boolean;
    };
    readonly dataConsistency: {
      readonly cron: string;
      /** 5.6: a doctorant no longer active loses ROLE_DOCTORANT_ACTIF (false: the role is only ever added). */
      readonly roleSyncRevoke: boolean;
    };
  };
  readonly operations: OperationsSettings;
}

/** Health, discovery, shutdown and build information (issue 4, items 7–9). */
export interface OperationsSettings {
  /** The disk-space health component is DOWN when a data directory has less free space than this. */
  readonly diskMinFreeBytes: number;
  /** Longest a health indicator may take before it counts as DOWN. */
  readonly healthTimeoutMs: number;
  /** How long SIGTERM/SIGINT may take before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** Commit shown by /actuator/info; else the one recorded at build time. */
  readonly gitCommit?: string;
  readonly eureka: {
    /** Spring's `eureka.client.service-url.defaultZone`; no registration when unset. */
    readonly url?: string;
    readonly heartbeatIntervalMs: number;
    /** Host name other services use to reach this instance. */
    readonly instanceHost: string;
    readonly instanceIp: string;
  };
}

/** Builds the configuration from an environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: Env = process.env): Config {
  return readConfig(env).config;
}

/** The documented settings, in the order they are read (README's configuration table). */
export function settingDocs(): readonly SettingDoc[] {
  return readConfig({}).docs;
}

function readConfig(env: Env): { config: Config; docs: readonly SettingDoc[] } {
  const r = new Reader(env);
  const port = r.int('PORT', 8085, 'HTTP port', 0, 65535);
  const host = r.string('HOST', '0.0.0.0', 'address the HTTP server listens on');
  const dataDir = path.resolve(r.string('DATA_DIR', './data', 'root of every default path below'));
  const sqliteDefault = (file: string) => `sqlite:${path.join(dataDir, file)}`;
  const databases = {
    batch: r.dbUrl('BATCH_DB_URL', sqliteDefault('batchdb.sqlite'), "the service's own database"),
    user: r.dbUrl('USER_DB_URL', sqliteDefault('userdb.sqlite'), 'user service database'),
    inscription: r.dbUrl('INSCRIPTION_DB_URL', sqliteDefault('inscriptiondb.sqlite'), 'inscription service database'),
    defense: r.dbUrl('DEFENSE_DB_URL', sqliteDefault('defensedb.sqlite'), 'defense service database'),
    notification: r.dbUrl('NOTIFICATION_DB_URL', sqliteDefault('notificationdb.sqlite'), 'notification service database'),
  };
  const poolSize = r.int('DB_POOL_SIZE', 10, 'MariaDB connections per database', 1, 500);
  const connectTimeoutMs = r.int('DB_CONNECT_TIMEOUT_MS', 10_000, 'MariaDB connect timeout', 100);
  const statementTimeoutSetting = r.int(
    'DB_STATEMENT_TIMEOUT_MS',
    0,
    'longest a statement may run (MariaDB `max_statement_time`) or wait on a lock (MariaDB) / for the write lock (SQLite busy timeout); 0 = a third of BATCH_HEARTBEAT_TIMEOUT_MS, at most 15000; never more than that third. A SQLite statement still computing after twice this (at least 5 s) ends the process (better-sqlite3 cannot interrupt it)',
    0,
  );
  const poolWaitSetting = r.int(
    'DB_POOL_WAIT_TIMEOUT_MS',
    0,
    'longest a query waits for a free connection of its pool (more concurrent steps than connections) before it fails, naming the database; 0 = a quarter of the statement timeout, at most 5000',
    0,
  );
  const dbStartupWaitMs = r.int(
    'DB_STARTUP_WAIT_MS',
    60_000,
    '`serve` and the commands: how long they wait at start for batchdb to answer (a database restarting, or started after the service) before they stop with exit 2; 0 = not at all',
    0,
    3_600_000,
  );
  const dir = (name: string, sub: string, meaning: string) =>
    path.resolve(r.string(name, path.join(dataDir, sub), meaning));
  const uploadsDir = dir('UPLOADS_DIR', 'uploads', 'uploaded documents (documents.chemin is relative to it)');
  const reportsDir = dir('REPORTS_DIR', 'reports', 'generated PDF reports');
  const archivesDir = dir('ARCHIVES_DIR', 'archives', 'encrypted archives');
  const logDir = dir('LOG_DIR', 'logs', 'application and error log files');
  const logLevel = r.oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const, 'info', 'log level');
  const logFormat = readLogFormat(r);
  const jwt = {
    secret: r.secret('JWT_SECRET', 'HS256 secret for API tokens', 'embedded default (no JWT setting, SQLite only): generated in DATA_DIR/jwt-secret; otherwise none: the API refuses every request'),
    jwksUrl: r.optional('JWT_JWKS_URL', 'JWKS URL for RS256/ES256 API tokens', 'none'),
    issuer: r.optional('JWT_ISSUER', 'required `iss` of API tokens', 'not checked'),
    audience: r.optional('JWT_AUDIENCE', 'required `aud` of API tokens', 'not checked'),
  };
  // The admin API (6.x, 10.1, 10.10): how tokens are read and how often a user may launch.
  const jwtApi = {
    rolesClaim: r.string('JWT_ROLES_CLAIM', 'roles', 'claim of API tokens holding the roles (`authorities` is read too); ADMIN or ROLE_ADMIN is admin'),
    maxTtlSeconds: r.duration('JWT_MAX_TTL', '24h', 'longest accepted lifetime of an API token (`exp − iat`, or `exp − now` without `iat`); a token without `exp` is refused', 60_000, 366 * 86_400_000) / 1000,
    clockSkewSeconds: r.duration('JWT_CLOCK_SKEW', '30s', 'leeway on `exp`, `nbf` and `iat` of API tokens, for clocks slightly apart', 0, 300_000) / 1000,
  };
  const api = {
    runsPerMinute: r.int('RATE_LIMIT_RUN_PER_MINUTE', 5, 'job launches (run, restart) per user and per minute on each endpoint; more get 429', 1, 100_000),
    trustProxy: trustedProxies(r),
  };
  if (jwt.secret !== undefined && Buffer.byteLength(jwt.secret) < 32) {
    r.problems.push('JWT_SECRET=****: expected at least 32 bytes (HS256 needs a 256-bit secret)');
  }
  const reportLogo = r.optional('REPORT_LOGO', 'SVG or PNG logo drawn on the PDF reports', "the project's own (assets/logo.svg)");
  if (reportLogo !== undefined && (!existsSync(reportLogo) || !/\.(svg|png)$/i.test(reportLogo))) {
    r.problems.push(`REPORT_LOGO=${JSON.stringify(reportLogo)}: expected an existing .svg or .png file`);
  }
  const archiveKeys = r.secret('ARCHIVE_KEYS', 'archive keys, keyId:base64key list, first is current; checked at start', 'embedded default: generated in DATA_DIR/archive-keys; otherwise none: archiveJob is refused and health shows archiveKeys DOWN');
  const archiveKeyFile = r.optional('ARCHIVE_KEY_FILE', 'file holding ARCHIVE_KEYS, owned by the service\'s user or root, mode 0600, 0400, 0640 or 0440', 'none');
  // Checked now, not at archiveJob's quarterly run: a typo would otherwise surface months later.
  const archiveKeyProblem = archiveKeysProblem({ archiveKeys, archiveKeyFile });
  if (archiveKeyProblem !== undefined) r.problems.push(archiveKeyProblem);
  const kafka = {
    brokers: r.list('KAFKA_BROKERS', 'Kafka brokers, host:port list', 'none: events stay in the outbox'),
    topic: r.string('KAFKA_TOPIC_NOTIFICATIONS', 'notifications', 'topic of notification events'),
  };
  const mail = {
    smtpUrl: r.secret('SMTP_URL', 'SMTP server, smtp://user:pass@host:port', 'none: mails written as .eml under DATA_DIR/mail'),
    from: r.string('MAIL_FROM', 'batch-service@localhost', 'sender address'),
    techAdmins: r.list('TECH_ADMIN_EMAILS', 'technical team addresses for failure alerts', 'none'),
    timeoutMs: r.int('SMTP_TIMEOUT_MS', 5_000, 'SMTP connection, greeting and socket-inactivity timeout; a silent server fails the attempt (then retried)', 100),
  };
  // A container's system zone is UTC: the 23:00 and 09:00 schedules and the report's month
  // would shift by an hour or two for a school in Europe/Paris without anyone seeing it.
  const productionShaped = Object.values(databases).some((url) => !url.startsWith('sqlite:'))
    ? 'when a database is on MariaDB'
    : env.NODE_ENV === 'production'
      ? 'when NODE_ENV=production'
      : undefined;
  const timeZone = r.timeZone(
    'BATCH_TIMEZONE',
    'IANA zone of the cron schedules, of date rules and of the report months (e.g. Europe/Paris)',
    "required with any MariaDB database or NODE_ENV=production; otherwise the system's zone",
    productionShaped,
  );
  const scheduler = {
    enabled: r.bool('SCHEDULER_ENABLED', true, 'run the cron schedules'),
    misfireGraceMs: r.int('SCHEDULER_MISFIRE_GRACE_MS', 3_600_000, 'a fire missed while the service was down runs once at start-up when younger than this (0 = never)', 0),
  };
  const demoData = r.oneOf('DEMO_DATA', ['auto', 'never'] as const, 'auto', 'create demo data at start when the sibling databases are empty SQLite files');
  const engine = {
    heartbeatIntervalMs: r.int('BATCH_HEARTBEAT_INTERVAL_MS', 5_000, 'heartbeat and stop-request poll of a running execution', 10),
    heartbeatTimeoutMs: r.int('BATCH_HEARTBEAT_TIMEOUT_MS', 60_000, 'an execution silent this long is marked FAILED (abandoned)', 50),
    checkpointIntervalMs: r.int('BATCH_CHECKPOINT_INTERVAL_MS', 1_000, 'how far the saved position of a chunk step may trail (0 = every chunk)', 0),
    stepTimeoutMs: r.int('BATCH_STEP_TIMEOUT_MS', 14_400_000, 'a step still running after this long fails (FAILED, restartable), unless the job gives it its own timeout; 4 hours by default', 1_000),
  };
  if (engine.heartbeatTimeoutMs <= engine.heartbeatIntervalMs * 2) {
    r.problems.push(
      `BATCH_HEARTBEAT_TIMEOUT_MS=${engine.heartbeatTimeoutMs}: expected more than twice BATCH_HEARTBEAT_INTERVAL_MS (${engine.heartbeatIntervalMs})`,
    );
  }
  // A SQLite busy wait blocks the process (better-sqlite3 is synchronous): one longer than
  // a third of the heartbeat timeout would let a live run's heartbeat lapse while it waits.
  const statementCeilingMs = Math.floor(engine.heartbeatTimeoutMs / 3);
  if (statementTimeoutSetting > statementCeilingMs) {
    r.problems.push(
      `DB_STATEMENT_TIMEOUT_MS=${statementTimeoutSetting}: expected at most a third of BATCH_HEARTBEAT_TIMEOUT_MS (${statementCeilingMs}), so a waiting statement cannot outlast a run's lease`,
    );
  }
  const statementTimeoutMs = Math.min(statementTimeoutSetting || 15_000, statementCeilingMs);
  const pool: PoolSettings = {
    size: poolSize,
    connectTimeoutMs,
    statementTimeoutMs,
    waitTimeoutMs: poolWaitSetting || Math.min(5_000, Math.floor(statementTimeoutMs / 4)),
  };
  // The lease's margin covers the statement timeout (docs/engine.md, "The lease's timing").
  const leaseProblem = leaseTimingProblem({ ...engine, statementTimeoutMs: pool.statementTimeoutMs, poolWaitTimeoutMs: pool.waitTimeoutMs });
  if (leaseProblem !== undefined && statementTimeoutSetting <= statementCeilingMs) r.problems.push(leaseProblem);
  const jobs = {
    tokenCleanup: {
      chunkSize: r.int('TOKEN_CLEANUP_CHUNK_SIZE', 100, 'tokenCleanupJob chunk size (1.4)', 1, 10_000),
      cron: r.cron('TOKEN_CLEANUP_CRON', '0 0 2 * * ?', 'tokenCleanupJob schedule (1.1)'),
      // At least 30: a month of steps and skipped items to investigate a failure with.
      retentionDays: r.int(
        'BATCH_RETENTION_DAYS',
        400,
        "days batchdb keeps finished executions (with their steps, skips and history), delivered outbox events and rate-limit windows; tokenCleanupJob's purgeBatchHistoryStep deletes older ones (never a running or restartable run, nor the audit log)",
        30,
        36_500,
      ),
    },
    dureeDoctoratAlert: {
      cron: r.cron('DUREE_DOCTORAT_ALERT_CRON', '0 0 8 ? * MON', 'dureeDoctoratAlertJob schedule (2.1)'),
      warningMonths: r.int('DUREE_ALERT_WARNING_MONTHS', 6, 'months before 6 years when the 6_ANS alert starts (2.2, 2.4)', 0, 36),
      chunkSize: r.int('DUREE_ALERT_CHUNK_SIZE', 50, 'dureeDoctoratAlertJob page and chunk size (2.8)', 1, 10_000),
      skipLimit: r.int('DUREE_ALERT_SKIP_LIMIT', 100, 'inscriptions whose doctorant is missing from userdb skipped before the job fails', 0),
    },
    monthlyReport: { cron: r.cron('MONTHLY_REPORT_CRON', '0 0 9 1 * ?', 'monthlyReportJob schedule (3.1)') },
    archive: {
      cron: r.cron('ARCHIVE_CRON', '0 0 3 1 1,4,7,10 ?', 'archiveJob schedule (4.1)'),
      skipLimit: r.int('ARCHIVE_SKIP_LIMIT', 100, 'records archiveJob may skip (a document missing, unreadable, a symlink, outside UPLOADS_DIR) before it fails', 0),
      maintainSiblings: r.bool('DB_MAINTENANCE_SIBLINGS', false, "archiveJob's optimizeDatabaseStep also maintains the sibling tables it touched (on MariaDB OPTIMIZE TABLE rebuilds them: their owners' call); false: batchdb's archive tables only"),
    },
    dataConsistency: {
      cron: r.cron('DATA_CONSISTENCY_CRON', '0 0 23 * * ?', 'dataConsistencyJob schedule (5.1)'),
      roleSyncRevoke: r.bool('ROLE_SYNC_REVOKE', true, 'dataConsistencyJob takes ROLE_DOCTORANT_ACTIF from a doctorant no longer active (5.6); false: the role is only added'),
    },
  };
  const operations: OperationsSettings = {
    diskMinFreeBytes: r.int('HEALTH_DISK_MIN_FREE_MB', 100, 'health is DOWN when a data directory has less free space (MiB)', 0) * 1024 * 1024,
    healthTimeoutMs: r.int('HEALTH_TIMEOUT_MS', 2_000, 'a health indicator slower than this counts as DOWN', 10),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 30_000, 'longest SIGTERM/SIGINT may take before the process exits anyway (exit code 1)', 100),
    gitCommit: r.optional('GIT_COMMIT', 'commit shown by /actuator/info', 'the commit recorded by `npm run build`, if any'),
    eureka: {
      url: r.httpUrl('EUREKA_URL', 'Eureka server, as Spring\'s defaultZone (e.g. http://eureka:8761/eureka/)', 'none: no registration'),
      heartbeatIntervalMs: r.int('EUREKA_HEARTBEAT_INTERVAL_MS', 30_000, 'Eureka lease renewal (heartbeat) interval', 100),
      instanceHost: r.optional('EUREKA_INSTANCE_HOST', 'host name registered with Eureka', "the machine's host name") ?? os.hostname(),
      instanceIp: r.optional('EUREKA_INSTANCE_IP', 'IP address registered with Eureka', "the machine's first non-loopback IPv4") ?? firstExternalIpv4(),
    },
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  const config: Config = {
    port, host, dataDir, databases, pool, dbStartupWaitMs, uploadsDir, reportsDir, archivesDir, logDir, logLevel, logFormat, reportLogo, jwt: { ...jwt, ...jwtApi }, api,
    archiveKeys, archiveKeyFile, kafka, mail, timeZone, scheduler, demoData, engine, jobs, operations,
  };
  return { config, docs: r.docs };
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
