/**
 * Classifies driver errors. The two engines report the same situations with different
 * codes; this is the one place that knows them.
 */

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
