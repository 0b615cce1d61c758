/** One health component per database (7.1–7.8), with the round trip of `select 1`. */
import { sql } from 'kysely';
import { DATABASE_NAMES } from '../config.js';
import type { Databases } from '../db/databases.js';
import type { HealthIndicator } from './health.js';

export function databaseIndicators(databases: Databases): readonly HealthIndicator[] {
  return DATABASE_NAMES.map((name) => {
    const handle = databases[name];
    return {
      name: `${name}Db`,
      // Without batchdb no run can start, stop or be inspected; the sibling databases only fail the jobs that use them.
      requiredForReadiness: name === 'batch',
      async check() {
        const started = performance.now();
        try {
          await sql`select 1`.execute(handle.db);
          return { status: 'UP', details: { database: handle.dialect, latencyMs: Math.round((performance.now() - started) * 10) / 10 } };
        } catch (error) {
          return { status: 'DOWN', details: { database: handle.dialect, url: handle.label, error: (error as Error).message } };
        }
      },
    };
  });
}
