/**
 * Next fire times of the schedules, for the API's job list. Computed here from the
 * configured expressions rather than asked of the running scheduler, so the API
 * answers the same on a replica whose scheduler is off (SCHEDULER_ENABLED=false).
 */
import { Cron } from 'croner';

export function nextFireTime(cron: string, timeZone: string, from: Date = new Date()): Date | null {
  const job = new Cron(cron, { timezone: timeZone, paused: true });
  try {
    return job.nextRun(from);
  } finally {
    job.stop();
  }
}

/**
 * `nextFireTime` remembered until that time has passed: croner's walk costs about as
 * much as the rest of a `GET /api/batch/jobs`, and the answer only changes at a fire.
 */
export function nextFireTimes(timeZone: string, clock: () => Date = () => new Date()): (cron: string) => Date | null {
  const known = new Map<string, Date | null>();
  return (cron) => {
    const now = clock();
    const cached = known.get(cron);
    if (cached !== undefined && (cached === null || cached > now)) return cached;
    const next = nextFireTime(cron, timeZone, now);
    known.set(cron, next);
    return next;
  };
}
