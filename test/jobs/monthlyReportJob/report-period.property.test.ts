/**
 * Property 19 (3.7): any month gives `rapport_YYYY_MM.pdf`, zero-padded; by default the
 * month before runAt's date in the zone, across a year boundary too; and its bounds are
 * the zone's midnights, whatever the zone's offset and its changes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateInZone } from '../../../src/doctorate/calendar.js';
import { addMonths } from '../../../src/doctorate/calendar.js';
import { JobParametersInvalidError } from '../../../src/engine/errors.js';
import { defaultMonth, parseMonth, reportPeriod } from '../../../src/jobs/monthlyReportJob/report-period.js';

const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Pacific/Auckland', 'Asia/Kolkata', 'America/Sao_Paulo'];
const month = fc.tuple(fc.integer({ min: 1970, max: 9998 }), fc.integer({ min: 1, max: 12 })).map(([y, m]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`);

describe('report periods', () => {
  it('Property 19: the file name of any month, zero-padded', () => {
    fc.assert(
      fc.property(month, fc.constantFrom(...ZONES), (m, zone) => {
        expect(reportPeriod(m, zone).fileName).toBe(`rapport_${m.slice(0, 4)}_${m.slice(5, 7)}.pdf`);
        expect(reportPeriod(m, zone).fileName).toMatch(/^rapport_\d{4}_(0[1-9]|1[0-2])\.pdf$/);
      }),
    );
  });

  it('by default the month before the date of runAt in the zone, January giving December of the year before', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('9998-12-31T00:00:00Z'), noInvalidDate: true }), fc.constantFrom(...ZONES), (runAt, zone) => {
        const local = dateInZone(runAt, zone);
        const [y, m] = local.split('-').map(Number) as [number, number];
        const expected = m === 1 ? `${String(y - 1).padStart(4, '0')}-12` : `${String(y).padStart(4, '0')}-${String(m - 1).padStart(2, '0')}`;
        expect(defaultMonth(runAt, zone)).toBe(expected);
      }),
    );
    expect(defaultMonth(new Date('2027-01-01T08:00:00Z'), 'Europe/Paris')).toBe('2026-12');
    // 31 December 23:30 UTC is already 1 January in Paris: the report is December's.
    expect(defaultMonth(new Date('2026-12-31T23:30:00Z'), 'Europe/Paris')).toBe('2026-12');
    expect(defaultMonth(new Date('2026-12-31T23:30:00Z'), 'UTC')).toBe('2026-11');
  });

  it('its bounds are the first instants of the month and of the next one in the zone', () => {
    fc.assert(
      fc.property(month.filter((m) => m < '9998-12'), fc.constantFrom(...ZONES), (m, zone) => {
        const period = reportPeriod(m, zone);
        expect(dateInZone(period.start, zone)).toBe(`${m}-01`);
        expect(dateInZone(new Date(period.start.getTime() - 1), zone) < `${m}-01`).toBe(true);
        expect(dateInZone(period.end, zone)).toBe(period.nextFirstDay);
        expect(dateInZone(new Date(period.end.getTime() - 1), zone)).toBe(period.lastDay);
      }),
    );
  });

  it('accepts exactly the months whose report can be computed: the month, the one before and the next first day, in every zone', () => {
    const anyMonth = fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 })).map(([y, m]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`);
    fc.assert(
      fc.property(fc.oneof(anyMonth, fc.constantFrom('1970-01', '1970-02', '9999-11', '9999-12')), fc.constantFrom(...ZONES), (m, zone) => {
        // Independently: the run needs the month before and the next month's first day, both dated 1970–9999.
        const [y, mm] = m.split('-').map(Number) as [number, number];
        const previousYear = mm === 1 ? y - 1 : y;
        const nextYear = mm === 12 ? y + 1 : y;
        const computable = mm >= 1 && mm <= 12 && previousYear >= 1970 && nextYear <= 9999;
        if (!computable) {
          expect(() => parseMonth(m), m).toThrow(JobParametersInvalidError);
          return;
        }
        expect(parseMonth(m)).toBe(m);
        const period = reportPeriod(m, zone);
        expect(Number.isNaN(period.end.getTime())).toBe(false);
        expect(reportPeriod(addMonths(`${m}-01`, -1).slice(0, 7), zone).nextFirstDay).toBe(`${m}-01`);
      }),
      { numRuns: 1000 },
    );
  });
});
