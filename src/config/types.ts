/**
 * The configuration as the service uses it: settings grouped by what reads them, durations
 * in milliseconds (or seconds where a token library wants them), paths absolute.
 */
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
