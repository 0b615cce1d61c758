/**
 * The month a report covers (3.x): `month` (`YYYY-MM`), by default the month before the
 * date of `runAt` in BATCH_TIMEZONE, and its bounds as the databases compare them:
 * calendar dates for DATE columns, UTC instants of the zone's midnights for DATETIME ones.
 */
import { addMonths, dateInZone, startOfDayInZone, type PlainDate } from '../../doctorate/calendar.js';
import { JobParametersInvalidError } from '../../engine/errors.js';

export interface ReportPeriod {
  /** `YYYY-MM` */
  readonly month: string;
  readonly firstDay: PlainDate;
  /** The first day of the next month: DATE columns are in [firstDay, nextFirstDay). */
  readonly nextFirstDay: PlainDate;
  readonly lastDay: PlainDate;
  /** DATETIME columns (UTC) are in [start, end). */
  readonly start: Date;
  readonly end: Date;
  /** « novembre 2026 » */
  readonly label: string;
  /** `rapport_2026_11.pdf` (3.7) */
  readonly fileName: string;
}

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];

/**
 * The months a report can cover: it compares with the month before and reads up to the
 * first day of the month after, and both must be dates from 1970 to 9999.
 */
export const FIRST_REPORTABLE_MONTH = '1970-02';
export const LAST_REPORTABLE_MONTH = '9999-11';

/**
 * A month a person asks a report for. Throws JobParametersInvalidError (400, exit 2) for
 * anything but a real `YYYY-MM` from 1970-02 to 9999-11, so a launch is refused rather than
 * a run failed.
 */
export function parseMonth(value: string): string {
  monthOf(value, 'month');
  if (value < FIRST_REPORTABLE_MONTH || value > LAST_REPORTABLE_MONTH) {
    throw new JobParametersInvalidError(
      `month=${JSON.stringify(value)} is outside the months a report can cover, ${FIRST_REPORTABLE_MONTH} to ${LAST_REPORTABLE_MONTH} (it compares with the month before and reads up to the first day of the month after)`,
    );
  }
  return value;
}

/** A real `YYYY-MM` (any year with four digits): the month before a reportable one is one too. */
function monthOf(value: string, name: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(value);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 12) {
    throw new JobParametersInvalidError(`${name}=${JSON.stringify(value.slice(0, 40))} is not a month; expected YYYY-MM, e.g. 2026-11`);
  }
  return value;
}

/** The month before the date of `runAt` in the zone: a run on 1 December reports November. */
export function defaultMonth(runAt: Date, timeZone: string): string {
  return addMonths(`${dateInZone(runAt, timeZone).slice(0, 7)}-01`, -1).slice(0, 7);
}

export function reportPeriod(month: string, timeZone: string): ReportPeriod {
  const firstDay = `${monthOf(month, 'month')}-01`;
  const nextFirstDay = addMonths(firstDay, 1);
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return {
    month,
    firstDay,
    nextFirstDay,
    lastDay: new Date(Date.UTC(year, monthNumber, 0)).toISOString().slice(0, 10),
    start: startOfDayInZone(firstDay, timeZone),
    end: startOfDayInZone(nextFirstDay, timeZone),
    label: `${MONTHS[monthNumber - 1]} ${year}`,
    fileName: `rapport_${month.replace('-', '_')}.pdf`,
  };
}
