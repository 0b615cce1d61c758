/**
 * A launch is refused while what a run needs is DOWN — a database, or a data directory
 * gone or full — with 503 and Retry-After, instead of being accepted and ending FAILED
 * with a failure mail a minute later. The run's own errors still cover what happens
 * after the launch: this only stops the launches that health already knows will fail.
 */
import type { HealthRegistry } from '../observability/health.js';
import { HttpProblem } from './problem.js';

/** The health components a run of any job may touch. */
const NEEDED_BY_A_RUN = ['batchDb', 'userDb', 'inscriptionDb', 'defenseDb', 'notificationDb', 'diskSpace'];

export async function refuseLaunchWhileDown(health: HealthRegistry): Promise<void> {
  const down = await health.downAmong(NEEDED_BY_A_RUN);
  if (down.length === 0) return;
  const reasons = down.map(({ name, details }) => (typeof details.error === 'string' ? `${name} is DOWN: ${details.error}` : `${name} is DOWN`));
  throw new HttpProblem(503, `${reasons.join('; ')}; nothing was launched, retry once it is back (GET /actuator/health shows it)`, { 'retry-after': '30' });
}
