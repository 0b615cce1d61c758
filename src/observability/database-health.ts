/**
 * One health component per database (7.1–7.8). A sibling database is probed with
 * `select 1`; batchdb, which every launch writes, with a real write (a one-row update,
 * migration 0007): a read-only file or server answers reads and refuses every launch.
 * A storage problem no query shows (the SQLite file deleted under the service) is DOWN too.
 * A failing probe also lets the handle recover (db/guarded-dialect.ts): once the cause is
 * gone, the next probe or request is served by a fresh connection, without a restart.
 */
import { hostname } from 'node:os';
import { sql } from 'kysely';
import { DATABASE_NAMES } from '../config.js';
import type { DatabaseHandle } from '../db/connect.js';
import type { Databases } from '../db/databases.js';
import { endsOtherAccountsSessions, SESSIONS_OF_ONE_ACCOUNT } from '../db/sessions.js';
import { sqlTimestamp } from '../db/sql-time.js';
import type { ComponentHealth, HealthIndicator } from './health.js';

const PROBER = `${hostname()}:${process.pid}`;

export function databaseIndicators(databases: Databases): readonly HealthIndicator[] {
  return DATABASE_NAMES.map((name) => {
    const handle = databases[name] as DatabaseHandle<unknown>;
    const probe =
      name === 'batch'
        ? async () => {
            const result = await databases.batch.db
              .updateTable('batch_health_probe')
              .set({ probed_at: sqlTimestamp(new Date()), probed_by: PROBER })
              .where('id', '=', 1)
              .executeTakeFirst();
            if (result.numUpdatedRows !== 1n) throw new Error('batch_health_probe has no row 1: was batchdb migrated?');
          }
        : async () => {
            await sql`select 1`.execute(handle.db);
          };
    return {
      name: `${name}Db`,
      // Without batchdb no run can start, stop or be inspected; the sibling databases only fail the jobs that use them.
      requiredForReadiness: name === 'batch',
      check: () => probeDatabase(handle, name === 'batch' ? 'write' : 'read', probe),
    };
  });
}

async function probeDatabase(handle: DatabaseHandle<unknown>, kind: 'read' | 'write', probe: () => Promise<void>): Promise<ComponentHealth> {
  const details = { database: handle.dialect, url: handle.label, probe: kind };
  const storage = handle.storageProblem();
  if (storage !== undefined) return { status: 'DOWN', details: { ...details, error: storage } };
  const started = performance.now();
  try {
    await probe();
    return { status: 'UP', details: { ...details, latencyMs: Math.round((performance.now() - started) * 10) / 10 } };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = `${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message}`;
    return { status: 'DOWN', details: { ...details, error: kind === 'write' ? `${handle.name} refuses writes: ${reason}` : reason } };
  }
}

/** Health component `sessionKill`: UP either way (one account is the usual setup); says what an abandoner can end. */
export function sessionKillIndicator(batch: DatabaseHandle<unknown>): HealthIndicator {
  let known: boolean | undefined;
  return {
    name: 'sessionKill',
    async check() {
      if (batch.dialect !== 'mysql') return { status: 'UP', details: { applies: false } };
      known ??= await endsOtherAccountsSessions(batch);
      return known
        ? { status: 'UP', details: { endsConnectionsOf: 'any account' } }
        : { status: 'UP', details: { endsConnectionsOf: 'its own account only', note: SESSIONS_OF_ONE_ACCOUNT } };
    },
  };
}
