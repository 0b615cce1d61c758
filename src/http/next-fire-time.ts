/**
 * Next fire time of a schedule, for the API's job list. Computed here from the
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
