/**
 * The five schedules of requirements 1.1, 2.1, 3.1, 4.1 and 5.1 in a fixed zone, across both DST changes of
 * Europe/Paris (2026: spring forward 29 March 02:00 → 03:00, fall back 25 October 03:00 → 02:00).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { allSchedules } from '../../src/jobs/schedules.js';
import { latestFireTime, nextFireTimes, quartzCron } from '../../src/cron/quartz-cron.js';

const ZONE = 'Europe/Paris';
const iso = (dates: readonly Date[]) => dates.map((d) => d.toISOString());
const cronOf = (jobName: string) => allSchedules(loadConfig({})).find((s) => s.jobName === jobName)!.cron;

/** Wall-clock fields of an instant in Paris. */
function paris(date: Date) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short', hourCycle: 'h23',
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return { month: Number(get('month')), day: Number(get('day')), hour: Number(get('hour')), minute: Number(get('minute')), second: Number(get('second')), weekday: get('weekday') };
}

describe('the five schedules in Europe/Paris', () => {
  it('are the expressions of requirements 1.1, 2.1, 3.1, 4.1 and 5.1, each overridable', () => {
    expect(allSchedules(loadConfig({}))).toEqual([
      { jobName: 'tokenCleanupJob', cron: '0 0 2 * * ?' },
      { jobName: 'dureeDoctoratAlertJob', cron: '0 0 8 ? * MON' },
      { jobName: 'monthlyReportJob', cron: '0 0 9 1 * ?' },
      { jobName: 'archiveJob', cron: '0 0 3 1 1,4,7,10 ?' },
      { jobName: 'dataConsistencyJob', cron: '0 0 23 * * ?' },
    ]);
    const overridden = allSchedules(loadConfig({
      TOKEN_CLEANUP_CRON: '0 30 1 * * ?', DUREE_DOCTORAT_ALERT_CRON: '0 0 7 ? * 2', MONTHLY_REPORT_CRON: '0 0 6 2 * ?',
      ARCHIVE_CRON: '0 0 4 1 1 ?', DATA_CONSISTENCY_CRON: '0 15 22 * * ?',
    }));
    expect(overridden.map((s) => s.cron)).toEqual(['0 30 1 * * ?', '0 0 7 ? * 2', '0 0 6 2 * ?', '0 0 4 1 1 ?', '0 15 22 * * ?']);
    expect(() => loadConfig({ ARCHIVE_CRON: '0 3 1 * *' })).toThrow(/ARCHIVE_CRON="0 3 1 \* \*": expected a Quartz-style cron/);
  });

  it('tokenCleanupJob fires at 02:00, at 03:00 on the spring-forward night, once on the fall-back night', () => {
    const cron = cronOf('tokenCleanupJob');
    expect(iso(nextFireTimes(cron, ZONE, new Date('2026-03-27T12:00:00Z'), 3))).toEqual([
      '2026-03-28T01:00:00.000Z', // 02:00 CET
      '2026-03-29T01:00:00.000Z', // 02:00 does not exist: 03:00 CEST
      '2026-03-30T00:00:00.000Z', // 02:00 CEST
    ]);
    expect(iso(nextFireTimes(cron, ZONE, new Date('2026-10-24T12:00:00Z'), 3))).toEqual([
      '2026-10-25T00:00:00.000Z', // the first 02:00 (CEST); not again at the second (CET)
      '2026-10-26T01:00:00.000Z',
      '2026-10-27T01:00:00.000Z',
    ]);
  });

  it('dureeDoctoratAlertJob fires Mondays at 08:00, in summer and in winter time', () => {
    expect(iso(nextFireTimes(cronOf('dureeDoctoratAlertJob'), ZONE, new Date('2026-03-25T12:00:00Z'), 2))).toEqual([
      '2026-03-30T06:00:00.000Z',
      '2026-04-06T06:00:00.000Z',
    ]);
    expect(iso(nextFireTimes(cronOf('dureeDoctoratAlertJob'), ZONE, new Date('2026-10-20T12:00:00Z'), 2))).toEqual([
      '2026-10-26T07:00:00.000Z',
      '2026-11-02T07:00:00.000Z',
    ]);
    // Quartz numbers weekdays from Sunday = 1: 2 is Monday.
    expect(iso(nextFireTimes('0 0 8 ? * 2', ZONE, new Date('2026-03-25T12:00:00Z'), 1))).toEqual(['2026-03-30T06:00:00.000Z']);
  });

  it('monthlyReportJob fires on the 1st at 09:00, archiveJob quarterly at 03:00, dataConsistencyJob daily at 23:00', () => {
    expect(iso(nextFireTimes(cronOf('monthlyReportJob'), ZONE, new Date('2026-02-15T00:00:00Z'), 3))).toEqual([
      '2026-03-01T08:00:00.000Z',
      '2026-04-01T07:00:00.000Z',
      '2026-05-01T07:00:00.000Z',
    ]);
    expect(iso(nextFireTimes(cronOf('archiveJob'), ZONE, new Date('2026-03-25T12:00:00Z'), 4))).toEqual([
      '2026-04-01T01:00:00.000Z',
      '2026-07-01T01:00:00.000Z',
      '2026-10-01T01:00:00.000Z',
      '2027-01-01T02:00:00.000Z',
    ]);
    expect(iso(nextFireTimes(cronOf('dataConsistencyJob'), ZONE, new Date('2026-03-28T12:00:00Z'), 3))).toEqual([
      '2026-03-28T22:00:00.000Z',
      '2026-03-29T21:00:00.000Z',
      '2026-03-30T21:00:00.000Z',
    ]);
    expect(iso(nextFireTimes(cronOf('dataConsistencyJob'), ZONE, new Date('2026-10-24T12:00:00Z'), 2))).toEqual([
      '2026-10-24T21:00:00.000Z',
      '2026-10-25T22:00:00.000Z',
    ]);
  });

  it('the latest fire time of a trigger is the scheduled instant, whatever the timer delay', () => {
    const cron = quartzCron(cronOf('tokenCleanupJob'), ZONE);
    expect(latestFireTime(cron, new Date('2026-03-29T01:00:00.000Z'))?.toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(latestFireTime(cron, new Date('2026-03-29T01:00:02.345Z'))?.toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });

  it('every next fire is after the reference, on the wall clock of its expression, with no fire in between', () => {
    const wallClock: Record<string, (d: ReturnType<typeof paris>) => boolean> = {
      // 03:00 only on the spring-forward day, when 02:00 does not exist.
      tokenCleanupJob: (d) => d.minute === 0 && (d.hour === 2 || (d.hour === 3 && d.month === 3 && d.day >= 25)),
      dureeDoctoratAlertJob: (d) => d.weekday === 'Mon' && d.hour === 8 && d.minute === 0,
      monthlyReportJob: (d) => d.day === 1 && d.hour === 9 && d.minute === 0,
      archiveJob: (d) => d.day === 1 && [1, 4, 7, 10].includes(d.month) && d.hour === 3 && d.minute === 0,
      dataConsistencyJob: (d) => d.hour === 23 && d.minute === 0,
    };
    const schedules = allSchedules(loadConfig({}));
    fc.assert(
      fc.property(
        fc.constantFrom(...schedules),
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }),
        ({ jobName, cron }, from) => {
          const [next] = nextFireTimes(cron, ZONE, from, 1);
          expect(next!.getTime()).toBeGreaterThan(from.getTime());
          const clock = paris(next!);
          expect(clock.second).toBe(0);
          expect(wallClock[jobName]!(clock)).toBe(true);
          // The fire before it is not after the reference: none was skipped.
          const before = latestFireTime(quartzCron(cron, ZONE), new Date(next!.getTime() - 1));
          expect(before === undefined || before.getTime() <= from.getTime()).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
