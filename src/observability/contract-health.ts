/**
 * The `contract` component (issue 16): whether each sibling database holds the tables and
 * columns of the fixture DDL. `serve` checks at start and logs each database off the contract
 * once, in plain words, but starts anyway: a database without `refresh_tokens` fails
 * tokenCleanupJob, not the other jobs. The component is DOWN while something is missing,
 * with what and where (details are for admins), and not needed for readiness. While DOWN
 * each health check looks again, so a fixed database turns UP without a restart; once UP
 * it is not introspected again (a table dropped later fails its job with the driver's error).
 */
import type { Logger } from 'pino';
import { checkContract, describeContractGap, expectedContract, type ContractGap } from '../db/contract-check.js';
import { SIBLING_NAMES, type Databases } from '../db/databases.js';
import type { ComponentHealth, HealthIndicator } from './health.js';

/**
 * Starts the check in the background (the service listens meanwhile) and returns the indicator.
 *
 * @example
 * app.health.register(contractIndicator(app.databases, logger));
 */
export function contractIndicator(databases: Databases, logger: Logger): HealthIndicator {
  const expected = expectedContract();
  const check = () => checkContract(databases, expected);
  let latest = check();
  void latest.then(
    (gaps) => gaps.forEach((gap) => logger.warn({ database: `${gap.database}db` }, describeContractGap(gap))),
    (error: unknown) => logger.error({ err: error }, 'the sibling databases could not be checked against the contract'),
  );
  return {
    name: 'contract',
    async check() {
      const last = await latest.catch(() => undefined);
      if (last === undefined || last.length > 0) latest = check();
      return component(await latest);
    },
  };
}

function component(gaps: readonly ContractGap[]): ComponentHealth {
  const checked = SIBLING_NAMES.map((name) => `${name}db`);
  if (gaps.length === 0) return { status: 'UP', details: { checked } };
  const missing = Object.fromEntries(
    gaps.map((gap) => [
      `${gap.database}db`,
      gap.unreadable !== undefined
        ? { location: gap.location, unreadable: gap.unreadable }
        : { location: gap.location, tables: gap.missingTables, columns: Object.fromEntries(gap.missingColumns) },
    ]),
  );
  return { status: 'DOWN', details: { checked, missing, error: gaps.map(describeContractGap).join('; ') } };
}
