/**
 * Quartz cron expressions (1.1, 2.1, 3.1, 4.1, 5.1) as croner reads them: seconds first,
 * an optional year, `?`, and Quartz's weekday numbers (1 = Sunday) — croner's default
 * numbering starts at 0, so `alternativeWeekdays` is what makes `0 0 8 ? * 2` mean Monday.
 *
 * The one place that turns an expression into fire times: the scheduler, the API's job
 * list, `/actuator/info` and configuration checks all come here, so they cannot disagree.
 */
import { Cron } from 'croner';

/**
 * A paused cron for computing fire times; throws on a malformed expression.
 *
 * @example
 * quartzCron('0 0 2 * * ?', 'Europe/Paris').nextRun(new Date('2026-03-28T12:00:00Z'));
 * // 2026-03-29T01:00:00Z: 02:00 does not exist that night, the fire moves to 03:00
 */
export function quartzCron(expression: string, timeZone: string): Cron {
  return new Cron(expression, { ...quartzOptions(timeZone), paused: true });
}

export function quartzOptions(timeZone: string) {
  return { timezone: timeZone, mode: '6-or-7-parts', alternativeWeekdays: true } as const;
}

/** The next `count` fire times after `from`. */
export function nextFireTimes(expression: string, timeZone: string, from: Date, count: number): readonly Date[] {
  return quartzCron(expression, timeZone).nextRuns(count, from);
}

/** The next fire time after `from`, or null when the expression has no future fire. */
export function nextFireTime(expression: string, timeZone: string, from: Date): Date | null {
  return quartzCron(expression, timeZone).nextRun(from);
}

/**
 * `nextFireTime` remembered until that time has passed, for the API's job list: croner's
 * walk costs about as much as the rest of a `GET /api/batch/jobs`, and the answer only
 * changes at a fire. Computed from the configuration, not asked of the running scheduler,
 * so a replica whose scheduler is off (SCHEDULER_ENABLED=false) answers the same.
 */
export function cachedNextFireTime(timeZone: string, clock: () => Date = () => new Date()): (expression: string) => Date | null {
  const known = new Map<string, Date | null>();
  return (expression) => {
    const now = clock();
    const cached = known.get(expression);
    if (cached !== undefined && (cached === null || cached > now)) return cached;
    const next = nextFireTime(expression, timeZone, now);
    known.set(expression, next);
    return next;
  };
}

/**
 * The fire time a trigger at `now` belongs to: the latest scheduled instant not after it.
 * croner hands its callback the time the timer actually ran, a little late and different
 * on every replica; the scheduled instant is what all replicas agree on.
 */
export function latestFireTime(cron: Cron, now: Date): Date | undefined {
  // previousRuns excludes a run exactly at the reference; one millisecond later includes it.
  return cron.previousRuns(1, new Date(now.getTime() + 1))[0];
}
