/**
 * The duration bands of requirement 2, on calendar dates: `d` runs from the first
 * enrollment to the run's date in the schedule's zone.
 *   3_ANS        3 years ≤ d < 6 years − window   (2.2)
 *   6_ANS        6 years − window ≤ d ≤ 6 years   (2.4)
 *   DEPASSEMENT  d > 6 years                      (2.6)
 * The bands are disjoint, so a doctorant is in at most one: the most severe that applies.
 */
import { addDays, addMonths, addYears, type PlainDate } from './calendar.js';

/** The three alerts of a doctorate's duration, as the notification service knows them. */
export type TypeAlerte = '3_ANS' | '6_ANS' | 'DEPASSEMENT';

export function durationBand(firstEnrollment: PlainDate, runDate: PlainDate, windowMonths: number): TypeAlerte | null {
  const sixYears = addYears(firstEnrollment, 6);
  if (runDate > sixYears) return 'DEPASSEMENT';
  if (runDate >= addMonths(sixYears, -windowMonths)) return '6_ANS';
  if (runDate >= addYears(firstEnrollment, 3)) return '3_ANS';
  return null;
}

/**
 * First-enrollment dates that may fall in a band on `runDate`, for the reader's SQL
 * filter. Inverting calendar arithmetic is not exact (29 February, month ends), so the
 * range is a few days wider than the band and the processor applies `durationBand`.
 */
export function candidateRange(band: TypeAlerte, runDate: PlainDate, windowMonths: number): { from: PlainDate | null; to: PlainDate } {
  const margin = 5;
  const sixYearsBefore = addYears(runDate, -6);
  const windowStart = addMonths(sixYearsBefore, windowMonths);
  switch (band) {
    case '3_ANS':
      return { from: addDays(windowStart, -margin), to: addDays(addYears(runDate, -3), margin) };
    case '6_ANS':
      return { from: addDays(sixYearsBefore, -margin), to: addDays(windowStart, margin) };
    case 'DEPASSEMENT':
      return { from: null, to: addDays(sixYearsBefore, margin) };
  }
}
