/**
 * Classifies driver errors. The two engines report the same situations with different
 * codes; this is the one place that knows them.
 */
import { databaseOf } from './guarded-dialect.js';

interface DriverError {
  code?: string;
  errno?: number;
}

const TRANSIENT_MYSQL_CODES = new Set([
  'ER_LOCK_DEADLOCK', // 1213
  'ER_LOCK_WAIT_TIMEOUT', // 1205
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
]);

/** Deadlock, lock wait timeout, busy database, lost connection: worth retrying. */
export function isTransientDbError(error: unknown): boolean {
  const { code } = (error ?? {}) as DriverError;
  if (typeof code !== 'string') return false;
  if (TRANSIENT_MYSQL_CODES.has(code)) return true;
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/**
 * The connection failed while a statement was in flight (reset, lost, timed out): the
 * server may have run and committed it, and only its answer was lost. Not so for a
 * deadlock, a lock wait timeout or a busy SQLite file, which rolled it back.
 */
export function mayHaveCommitted(error: unknown): boolean {
  const { code } = (error ?? {}) as DriverError;
  return code === 'ECONNRESET' || code === 'PROTOCOL_CONNECTION_LOST' || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}

/** A unique or primary key constraint was violated. */
export function isUniqueViolation(error: unknown): boolean {
  const { code, errno } = (error ?? {}) as DriverError;
  return (
    code === 'ER_DUP_ENTRY' ||
    errno === 1062 ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/**
 * "The database cannot be used right now" (the API answers 503 and health says DOWN), as
 * opposed to a bug or a bad query (500). SQLite result codes are matched by prefix, so
 * extended codes (SQLITE_READONLY_DBMOVED…) count.
 */
const SQLITE_UNAVAILABLE = ['SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_PERM', 'SQLITE_AUTH'];

/** mysql2 codes: the network, the server refusing us, the server read-only or out of space. */
const MYSQL_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_READ_ONLY_MODE',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_RECORD_FILE_FULL',
  'ER_DISK_FULL',
  'ER_SERVER_SHUTDOWN',
  'POOL_WAIT_TIMEOUT', // no free connection in the pool within DB_POOL_WAIT_TIMEOUT_MS (guarded-dialect.ts)
]);

/** What a database answers (or fails to) while it starts, restarts or is not up yet. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR']);

/** The database cannot be reached now and may be soon (refused, reset, shutting down, busy): worth waiting for at start. */
export function isUnreachable(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && (UNREACHABLE.has(code) || code.startsWith('SQLITE_BUSY'));
}

/** SQLite errors after which the handle is reopened: the file or its permissions may have changed. */
const SQLITE_REOPEN = ['SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_NOTADB'];

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isConnectionBroken(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && SQLITE_REOPEN.some((prefix) => code.startsWith(prefix));
}

export interface DatabaseFailure {
  readonly database: string;
  /** True when the database cannot be used now (503), false for any other database error (500). */
  readonly unavailable: boolean;
  readonly cause: string;
}

/** What an error says about a database, or undefined when it did not come from one. */
export function databaseFailureOf(error: unknown): DatabaseFailure | undefined {
  const database = databaseOf(error);
  if (database === undefined) return undefined;
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const unavailable =
    isStatementTimeout(error) ||
    (code !== undefined && (MYSQL_UNAVAILABLE.has(code) || SQLITE_UNAVAILABLE.some((prefix) => code.startsWith(prefix)))) ||
    // better-sqlite3 once the handle is closed; mysql2 once the pool has ended.
    /database connection is not open|Pool is closed/.test(message);
  return { database, unavailable, cause: code === undefined ? message : `${code}: ${message}` };
}

/** MariaDB's max_statement_time ended the statement (errno 1969; mysql2 gives it no code). */
export function isStatementTimeout(error: unknown): boolean {
  return (error as DriverError | null)?.errno === 1969;
}

/**
 * Another session holds what this statement waits for (a row lock, the migrations' named
 * lock), and the wait ran out: lock wait timeout, or max_statement_time ending the wait.
 * At start this is a replica migrating or a paused process, worth waiting for.
 */
export function isHeldByAnother(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'MIGRATION_LOCK_BUSY' || isStatementTimeout(error);
}
