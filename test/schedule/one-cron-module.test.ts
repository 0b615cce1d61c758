/**
 * One cron module (quartz-cron.ts): the API's next fire times, /actuator/info's and the
 * scheduler's armed timers agree for Quartz's numeric weekdays (1 = Sunday), `L` and `#`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schedules } from '../../src/jobs/registry.js';
import { silentLogger } from '../../src/observability/logger.js';
import { nextFireTime } from '../../src/cron/quartz-cron.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { startApi, type Api } from '../http/api-harness.js';

const OVERRIDES = {
  DUREE_DOCTORAT_ALERT_CRON: '0 0 8 ? * 2', // Quartz: 2 = Monday
  TOKEN_CLEANUP_CRON: '0 0 6 ? * 2-6', // Monday to Friday
  MONTHLY_REPORT_CRON: '0 0 9 L * ?', // the last day of the month
  ARCHIVE_CRON: '0 30 7 ? * 6L', // the last Friday of the month
  DATA_CONSISTENCY_CRON: '0 0 8 ? * 2#2', // the second Monday
};

const weekday = (date: Date) => new Intl.DateTimeFormat('en', { weekday: 'long', timeZone: 'Europe/Paris' }).format(date);

describe('fire times come from one function', () => {
  let api: Api;
  let scheduler: Scheduler;
  beforeAll(async () => {
    api = await startApi('sqlite', { env: { ...OVERRIDES, BATCH_TIMEZONE: 'Europe/Paris' } });
    scheduler = new Scheduler(api.app.operator, schedules(api.app.config), { timeZone: 'Europe/Paris', misfireGraceMs: 0, logger: silentLogger });
    await scheduler.start();
  });
  afterAll(async () => {
    scheduler?.stop();
    await api?.close();
  });

  it("the API, /actuator/info and the scheduler's armed timers give the same next fire for every override", async () => {
    const list = (await (await api.call('/api/batch/jobs')).json()) as { name: string; nextFireTime: string | null }[];
    const schedulesView = (await (await api.call('/api/batch/jobs/schedules')).json()) as { jobName: string; nextFireTime: string | null }[];
    const info = (await (await fetch(`${api.base}/actuator/info`)).json()) as { schedules: { jobName: string; nextFireTimes: string[] }[] };
    const armed = scheduler.nextRuns();
    expect(schedulesView.map((s) => s.jobName).sort()).toEqual([...armed.keys()].sort());
    for (const { jobName, nextFireTime } of schedulesView) {
      expect(nextFireTime, jobName).toBe(armed.get(jobName)?.toISOString());
      expect(info.schedules.find((s) => s.jobName === jobName)?.nextFireTimes[0], jobName).toBe(nextFireTime);
      const listed = list.find((j) => j.name === jobName);
      if (listed) expect(listed.nextFireTime, jobName).toBe(nextFireTime);
    }
    // Read as Quartz reads them, checked independently of croner. (The jobs not built yet
    // have no schedule to fire; their expressions are checked through the same function.)
    const next = (job: keyof typeof OVERRIDES) => nextFireTime(OVERRIDES[job], 'Europe/Paris', new Date());
    expect(new Date(schedulesView.find((j) => j.jobName === 'dureeDoctoratAlertJob')!.nextFireTime!)).toEqual(next('DUREE_DOCTORAT_ALERT_CRON'));
    expect(weekday(next('DUREE_DOCTORAT_ALERT_CRON')!)).toBe('Monday');
    expect(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday']).toContain(weekday(next('TOKEN_CLEANUP_CRON')!));
    const lastDay = next('MONTHLY_REPORT_CRON')!;
    expect(new Date(lastDay.getTime() + 86_400_000).getUTCDate()).toBe(1);
    const lastFriday = next('ARCHIVE_CRON')!;
    expect(weekday(lastFriday)).toBe('Friday');
    expect(new Date(lastFriday.getTime() + 7 * 86_400_000).getUTCMonth()).not.toBe(lastFriday.getUTCMonth());
    const secondMonday = next('DATA_CONSISTENCY_CRON')!;
    expect(weekday(secondMonday)).toBe('Monday');
    expect(Math.ceil(secondMonday.getUTCDate() / 7)).toBe(2);
  });
});
