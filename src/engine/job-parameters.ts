/**
 * What a launch may carry as parameters, checked before anything is written: the API,
 * the CLI and the scheduler all launch through JobOperator.start, so a bad parameter is
 * one 400 / exit 2 with a message, never a FAILED run and a failure mail.
 */
import { JobParametersInvalidError } from './errors.js';

/** Keys: a letter, then letters, digits, `_`, `.` or `-`; no path, no space, no markup. */
export const PARAMETER_KEY_PATTERN = '^[A-Za-z][A-Za-z0-9_.-]{0,63}$';
export const MAX_PARAMETERS = 32;
export const MAX_PARAMETER_VALUE_LENGTH = 1000;

const KEY = new RegExp(PARAMETER_KEY_PATTERN);

/**
 * @example
 * checkParameters({ runAt: '2026-11-28T02:00:00Z' }); // passes
 * checkParameters({ '../etc': 'x' });                  // throws JobParametersInvalidError
 */
export function checkParameters(parameters: Readonly<Record<string, unknown>>, timeZone = 'UTC'): void {
  const keys = Object.keys(parameters);
  if (keys.length > MAX_PARAMETERS) throw new JobParametersInvalidError(`${keys.length} parameters: at most ${MAX_PARAMETERS} are accepted`);
  for (const key of keys) {
    if (!KEY.test(key)) {
      throw new JobParametersInvalidError(`parameter name ${JSON.stringify(key.slice(0, 80))} is not accepted: expected ${PARAMETER_KEY_PATTERN} (e.g. runAt)`);
    }
    const value = parameters[key];
    if (typeof value !== 'string') throw new JobParametersInvalidError(`parameter ${key}: expected a string value, got ${value === null ? 'null' : typeof value}`);
    if (value.length > MAX_PARAMETER_VALUE_LENGTH) throw new JobParametersInvalidError(`parameter ${key}: longer than ${MAX_PARAMETER_VALUE_LENGTH} characters`);
  }
  if (parameters.runAt !== undefined) parseRunAt(parameters.runAt as string, timeZone);
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2}):(\d{2}))$/;
const ACCEPTED = 'an ISO-8601 instant with its zone, e.g. 2026-11-28T02:00:00Z or 2026-11-28T03:00:00+01:00';

/**
 * `runAt` is a real calendar instant with a zone, between 1970 and 9999 as written, in UTC
 * and in `timeZone` (BATCH_TIMEZONE, where the jobs take its date): 9999-12-31T23:00-14:00
 * is written in 9999 but is 10000 in UTC, and would fail the run instead of the launch.
 * `Date` would roll 2026-02-30 over to 2 March, and read a value without a zone as local
 * time; each field is therefore checked here before `Date` sees it.
 */
export function parseRunAt(value: string, timeZone = 'UTC'): Date {
  const invalid = (why: string) => new JobParametersInvalidError(`runAt=${JSON.stringify(value.slice(0, 80))} ${why}; expected ${ACCEPTED}`);
  const match = INSTANT.exec(value);
  if (!match) {
    throw invalid(/^\d{4}-\d{2}-\d{2}(T[\d:.]+)?$/.test(value) ? 'has no zone (Z or ±hh:mm)' : 'is not an ISO-8601 instant');
  }
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(match[i] ?? 0)) as [number, number, number, number, number, number];
  if (year < 1970 || year > 9999) throw invalid('has a year outside 1970–9999');
  if (month < 1 || month > 12) throw invalid('has no such month');
  if (day < 1 || day > daysInMonth(year, month)) throw invalid(`has no such day: ${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')} has ${daysInMonth(year, month)} days`);
  if (hour > 23 || minute > 59 || second > 59) throw invalid('has no such time of day');
  if (match[8] !== 'Z' && (Number(match[9]) > 14 || Number(match[10]) > 59)) throw invalid('has an offset beyond ±14:00');
  const instant = new Date(value);
  for (const zone of new Set(['UTC', timeZone])) {
    const zoned = yearIn(instant, zone);
    if (zoned < 1970 || zoned > 9999) throw invalid(`is in the year ${zoned} in ${zone}, outside 1970–9999`);
  }
  return instant;
}

function yearIn(instant: Date, timeZone: string): number {
  // `en-US` with `numeric` writes a year as digits; relatedYear never appears for the Gregorian calendar.
  const part = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', era: 'short' }).formatToParts(instant);
  const year = Number(part.find((p) => p.type === 'year')!.value);
  return part.find((p) => p.type === 'era')?.value === 'BC' ? 1 - year : year;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
