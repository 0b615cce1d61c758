/**
 * The rules that span several settings, or a setting and the rest of the configuration.
 * Each is checked on the values as read (a refused setting counts as its default) and
 * its problem is listed right after those of the setting it names as `after`, so a
 * configuration's problems always come in the same order.
 */
import { archiveKeysProblem } from '../archives/archive-keys.js';
import { leaseTimingProblem } from '../engine/lease.js';
import type { Env } from './reader.js';
import type { SettingName, Settings } from './settings.js';

export interface RuleContext {
  readonly env: Env;
  /** The settings left unset (or blank), as opposed to refused ones that fell back to their default. */
  readonly unset: ReadonlySet<string>;
}

export interface Rule {
  readonly after: SettingName;
  readonly problem: (settings: Settings, context: RuleContext) => string | undefined;
}

/** The statement and pool-wait timeouts the databases get, from the settings and the heartbeat timeout. */
export function poolTimeouts(s: Settings): { statementTimeoutMs: number; waitTimeoutMs: number } {
  const statementTimeoutMs = Math.min(s.DB_STATEMENT_TIMEOUT_MS || 15_000, statementCeilingMs(s));
  return { statementTimeoutMs, waitTimeoutMs: s.DB_POOL_WAIT_TIMEOUT_MS || Math.min(5_000, Math.floor(statementTimeoutMs / 4)) };
}

// A SQLite busy wait blocks the process (better-sqlite3 is synchronous): one longer than
// a third of the heartbeat timeout would let a live run's heartbeat lapse while it waits.
function statementCeilingMs(s: Settings): number {
  return Math.floor(s.BATCH_HEARTBEAT_TIMEOUT_MS / 3);
}

/** Why BATCH_TIMEZONE must be set: a production-shaped configuration; undefined when it need not be. */
function timeZoneRequiredBecause(s: Settings, env: Env): string | undefined {
  const databases = [s.BATCH_DB_URL, s.USER_DB_URL, s.INSCRIPTION_DB_URL, s.DEFENSE_DB_URL, s.NOTIFICATION_DB_URL];
  if (databases.some((url) => !url.startsWith('sqlite:'))) return 'when a database is on MariaDB';
  return env.NODE_ENV === 'production' ? 'when NODE_ENV=production' : undefined;
}

export const RULES: readonly Rule[] = [
  {
    after: 'TRUST_PROXY',
    problem: (s) =>
      s.JWT_SECRET !== undefined && Buffer.byteLength(s.JWT_SECRET) < 32
        ? 'JWT_SECRET=****: expected at least 32 bytes (HS256 needs a 256-bit secret)'
        : undefined,
  },
  // Checked now, not at archiveJob's quarterly run: a typo would otherwise surface months later.
  { after: 'ARCHIVE_KEY_FILE', problem: (s) => archiveKeysProblem({ archiveKeys: s.ARCHIVE_KEYS, archiveKeyFile: s.ARCHIVE_KEY_FILE }) },
  // A container's system zone is UTC: the 23:00 and 09:00 schedules and the report's month
  // would shift by an hour or two for a school in Europe/Paris without anyone seeing it.
  {
    after: 'BATCH_TIMEZONE',
    problem: (s, { env, unset }) => {
      const because = unset.has('BATCH_TIMEZONE') ? timeZoneRequiredBecause(s, env) : undefined;
      if (because === undefined) return undefined;
      const system = Intl.DateTimeFormat().resolvedOptions().timeZone;
      return `BATCH_TIMEZONE is not set: required ${because}, e.g. BATCH_TIMEZONE=Europe/Paris (the system's zone here is ${system})`;
    },
  },
  {
    after: 'BATCH_STEP_TIMEOUT_MS',
    problem: (s) =>
      s.BATCH_HEARTBEAT_TIMEOUT_MS <= s.BATCH_HEARTBEAT_INTERVAL_MS * 2
        ? `BATCH_HEARTBEAT_TIMEOUT_MS=${s.BATCH_HEARTBEAT_TIMEOUT_MS}: expected more than twice BATCH_HEARTBEAT_INTERVAL_MS (${s.BATCH_HEARTBEAT_INTERVAL_MS})`
        : undefined,
  },
  {
    after: 'BATCH_STEP_TIMEOUT_MS',
    problem: (s) =>
      s.DB_STATEMENT_TIMEOUT_MS > statementCeilingMs(s)
        ? `DB_STATEMENT_TIMEOUT_MS=${s.DB_STATEMENT_TIMEOUT_MS}: expected at most a third of BATCH_HEARTBEAT_TIMEOUT_MS (${statementCeilingMs(s)}), so a waiting statement cannot outlast a run's lease`
        : undefined,
  },
  // The lease's margin covers the statement timeout (docs/engine.md, "The lease's timing");
  // a statement timeout over its ceiling is reported above, and would only repeat here.
  {
    after: 'BATCH_STEP_TIMEOUT_MS',
    problem: (s) => {
      if (s.DB_STATEMENT_TIMEOUT_MS > statementCeilingMs(s)) return undefined;
      const { statementTimeoutMs, waitTimeoutMs } = poolTimeouts(s);
      return leaseTimingProblem({
        heartbeatIntervalMs: s.BATCH_HEARTBEAT_INTERVAL_MS,
        heartbeatTimeoutMs: s.BATCH_HEARTBEAT_TIMEOUT_MS,
        statementTimeoutMs,
        poolWaitTimeoutMs: waitTimeoutMs,
      });
    },
  },
];

/** Every problem, each setting's own first, then those of the rules that follow it. */
export function problemsInOrder(names: readonly string[], own: ReadonlyMap<string, string>, settings: Settings, context: RuleContext): string[] {
  return names.flatMap((name) => [
    ...(own.has(name) ? [own.get(name)!] : []),
    ...RULES.filter((rule) => rule.after === name).flatMap((rule) => rule.problem(settings, context) ?? []),
  ]);
}
