/**
 * Date arithmetic in SQL, the one place it differs between the engines: SQLite keeps
 * dates and timestamps as text and counts days with julianday(); MariaDB has DATEDIFF().
 */
import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from './connect.js';

/**
 * Whole days from the calendar date of a UTC DATETIME column to a DATE column.
 *
 * @example daysBetweenColumns('sqlite', 'created_at', 'date_soutenance') // date_soutenance − date(created_at)
 */
export function daysBetweenColumns(dialect: Dialect, fromDateTime: string, toDate: string): RawBuilder<number> {
  const from = sql.ref(fromDateTime);
  const to = sql.ref(toDate);
  return dialect === 'sqlite'
    ? sql<number>`cast(julianday(substr(${to}, 1, 10)) - julianday(substr(${from}, 1, 10)) as integer)`
    : sql<number>`datediff(${to}, ${from})`;
}
