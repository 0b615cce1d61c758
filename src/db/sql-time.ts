/**
 * Timestamps as both engines store them (docs/databases.md): UTC text `YYYY-MM-DD HH:MM:SS`
 * or `YYYY-MM-DD HH:MM:SS.SSS`; dates as `YYYY-MM-DD`.
 */

/**
 * The SQL literal for an instant, chosen so that comparing it with stored text is exact
 * on SQLite whichever of the two stored forms a row uses.
 *
 * SQLite compares these columns as text. `'…10:00:00' < '…10:00:00.000'` is true
 * although both are the same instant, so a parameter always written with milliseconds
 * would treat a token expiring exactly at runAt as expired (1.2 forbids it). Writing
 * the parameter without its fraction when the fraction is zero makes text order equal
 * time order for both stored forms; MariaDB compares DATETIMEs as times either way.
 *
 * @example sqlTimestamp(new Date('2026-01-01T10:00:00Z'))     // '2026-01-01 10:00:00'
 * @example sqlTimestamp(new Date('2026-01-01T10:00:00.250Z')) // '2026-01-01 10:00:00.250'
 */
export function sqlTimestamp(instant: Date): string {
  const iso = instant.toISOString();
  const seconds = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return instant.getUTCMilliseconds() === 0 ? seconds : `${seconds}.${iso.slice(20, 23)}`;
}

/** Always with milliseconds: the form this service writes (sorts correctly among its own rows). */
export function sqlTimestampMillis(instant: Date): string {
  const iso = instant.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** Reads either stored form (and ISO text) back as an instant, UTC. */
export function parseSqlTimestamp(text: string): Date {
  const normalized = text.includes('T') ? text : `${text.replace(' ', 'T')}${/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? '' : 'Z'}`;
  const date = new Date(normalized);
  if (Number.isNaN(date.getTime())) throw new Error(`not a timestamp: ${JSON.stringify(text)}`);
  return date;
}

/** `YYYY-MM-DD` of an instant in UTC. */
export function sqlDate(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}
