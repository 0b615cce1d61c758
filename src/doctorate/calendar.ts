/**
 * Calendar dates without a time or zone, and the arithmetic of requirement 2: an
 * anniversary of 29 February falls on 28 February in a common year; moving back N
 * months keeps the day, or the month's last day when it has fewer. Written here rather
 * than taken from a date library because these exact rules are the requirement and
 * Date-based libraries work in a time zone we must not depend on.
 */

/** `YYYY-MM-DD` */
export type PlainDate = string;

interface Ymd {
  readonly y: number;
  readonly m: number; // 1..12
  readonly d: number;
}

function parse(date: PlainDate): Ymd {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new Error(`not a date: ${JSON.stringify(date)}`);
  return { y: Number(match[1]), m: Number(match[2]), d: Number(match[3]) };
}

function format({ y, m, d }: Ymd): PlainDate {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** Adds calendar months (negative to go back), clamping the day to the month's length. */
export function addMonths(date: PlainDate, months: number): PlainDate {
  const { y, m, d } = parse(date);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return format({ y: year, m: month, d: Math.min(d, daysInMonth(year, month)) });
}

export function addYears(date: PlainDate, years: number): PlainDate {
  return addMonths(date, years * 12);
}

export function addDays(date: PlainDate, days: number): PlainDate {
  const { y, m, d } = parse(date);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to`. */
export function daysBetween(from: PlainDate, to: PlainDate): number {
  const a = parse(from);
  const b = parse(to);
  return Math.round((Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d)) / 86_400_000);
}

/** Whole years and remaining whole months from `from` to `to` (to ≥ from). */
export function yearsAndMonths(from: PlainDate, to: PlainDate): { annees: number; mois: number } {
  const a = parse(from);
  const b = parse(to);
  let months = (b.y - a.y) * 12 + (b.m - a.m);
  if (addMonths(from, months) > to) months--;
  return { annees: Math.floor(months / 12), mois: months % 12 };
}

/**
 * Formatters by zone, kept: an Intl.DateTimeFormat is a large native ICU object whose
 * size V8 does not see, so making one per call grew the process by megabytes a chunk
 * before any collection ran.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of an instant in a time zone. */
export function dateInZone(instant: Date, timeZone: string): PlainDate {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // en-CA formats as YYYY-MM-DD.
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, formatter);
  }
  return formatter.format(instant);
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** How far the zone's wall clock is ahead of UTC at `instant`, in milliseconds. */
function zoneOffsetMs(instant: number, timeZone: string): number {
  let formatter = offsetFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    offsetFormatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((p) => [p.type, Number(p.value)]));
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a calendar date begins in a time zone (its local midnight, or the first
 * instant after it on a day that skips midnight).
 *
 * @example startOfDayInZone('2026-11-01', 'Europe/Paris') // 2026-10-31T23:00:00.000Z
 */
export function startOfDayInZone(date: PlainDate, timeZone: string): Date {
  const { y, m, d } = parse(date);
  const wall = Date.UTC(y, m - 1, d);
  let instant = wall - zoneOffsetMs(wall, timeZone);
  // Near a change of offset the first guess is off by the change: measure again there.
  const corrected = wall - zoneOffsetMs(instant, timeZone);
  if (corrected !== instant && dateInZone(new Date(corrected), timeZone) === date) instant = corrected;
  return new Date(instant);
}
