/** Properties 7, 9 and 11 on the band rule itself, and the reader's pre-filter never losing a member. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, addMonths, addYears, dateInZone, daysBetween, yearsAndMonths } from '../../../src/doctorate/calendar.js';
import { candidateRange, durationBand } from '../../../src/doctorate/duration-band.js';

/**
 * An oracle written differently from src (Date overflow, then step back): the same
 * calendar rule reached by another road, so a slip in either shows.
 */
function shift(date: string, years: number, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y + years, m - 1 + months, d));
  const wantedMonth = (((m - 1 + months) % 12) + 12) % 12;
  // Overflowed into the next month (31st, 29 February): the month's last day instead.
  if (target.getUTCMonth() !== wantedMonth) target.setUTCDate(0);
  return target.toISOString().slice(0, 10);
}
const anniversary = (dpi: string, years: number) => shift(dpi, years, 0);
const warningStart = (dpi: string, w: number) => {
  const six = anniversary(dpi, 6);
  return shift(six, 0, -w);
};

const plainDate = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2040-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const leapDay = fc.constantFrom('2000-02-29', '2004-02-29', '2016-02-29', '2020-02-29', '2024-02-29');
const firstEnrollment = fc.oneof(plainDate, leapDay, fc.constantFrom('2020-08-31', '2021-01-31', '2019-12-31'));
const window = fc.integer({ min: 0, max: 24 });
/** A run date near an interesting boundary of the enrollment, or anywhere. */
const runDateFor = (dpi: string, w: number) =>
  fc.oneof(
    plainDate,
    fc.constantFrom(addYears(dpi, 3), addMonths(addYears(dpi, 6), -w), addYears(dpi, 6), addDays(addYears(dpi, 6), 1)).chain((anchor) =>
      fc.integer({ min: -2, max: 2 }).map((offset) => addDays(anchor, offset)),
    ),
  );
const cases = firstEnrollment.chain((dpi) => window.chain((w) => runDateFor(dpi, w).map((run) => ({ dpi, w, run }))));

describe('duration bands', () => {
  it('Property 7: 3_ANS exactly when 3 years ≤ d < 6 years − window', () => {
    fc.assert(
      fc.property(cases, ({ dpi, w, run }) => {
        const inBand = run >= anniversary(dpi, 3) && run < warningStart(dpi, w);
        expect(durationBand(dpi, run, w) === '3_ANS').toBe(inBand);
      }),
      { numRuns: 3000 },
    );
  });

  it('Property 9: 6_ANS exactly when 6 years − window ≤ d ≤ 6 years', () => {
    fc.assert(
      fc.property(cases, ({ dpi, w, run }) => {
        const inBand = run >= warningStart(dpi, w) && run <= anniversary(dpi, 6);
        expect(durationBand(dpi, run, w) === '6_ANS').toBe(inBand);
      }),
      { numRuns: 3000 },
    );
  });

  it('Property 11: DEPASSEMENT exactly when d > 6 years', () => {
    fc.assert(
      fc.property(cases, ({ dpi, w, run }) => {
        expect(durationBand(dpi, run, w) === 'DEPASSEMENT').toBe(run > anniversary(dpi, 6));
      }),
      { numRuns: 3000 },
    );
  });

  it('the reader pre-filter contains every member of the band', () => {
    fc.assert(
      fc.property(cases, ({ dpi, w, run }) => {
        const band = durationBand(dpi, run, w);
        if (band === null) return;
        const range = candidateRange(band, run, w);
        expect(dpi <= range.to).toBe(true);
        if (range.from !== null) expect(dpi >= range.from).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('follows the calendar at the boundaries the requirement names', () => {
    expect(addYears('2021-02-28', 3)).toBe('2024-02-28');
    expect(addYears('2020-02-29', 3)).toBe('2023-02-28');
    expect(addYears('2020-02-29', 4)).toBe('2024-02-29');
    expect(addMonths('2026-08-31', -6)).toBe('2026-02-28');
    expect(durationBand('2020-02-29', '2023-02-27', 6)).toBeNull();
    expect(durationBand('2020-02-29', '2023-02-28', 6)).toBe('3_ANS');
    expect(durationBand('2020-03-15', '2025-09-14', 6)).toBe('3_ANS');
    expect(durationBand('2020-03-15', '2025-09-15', 6)).toBe('6_ANS');
    expect(durationBand('2020-03-15', '2026-03-15', 6)).toBe('6_ANS');
    expect(durationBand('2020-03-15', '2026-03-16', 6)).toBe('DEPASSEMENT');
    expect(daysBetween('2020-03-15', '2026-03-16')).toBe(2192);
    expect(yearsAndMonths('2020-01-31', '2026-03-15')).toEqual({ annees: 6, mois: 1 });
  });

  it("takes the run's date in the schedule's zone", () => {
    const lateEvening = new Date('2026-03-15T23:30:00Z');
    expect(dateInZone(lateEvening, 'UTC')).toBe('2026-03-15');
    expect(dateInZone(lateEvening, 'Europe/Paris')).toBe('2026-03-16');
  });
});
