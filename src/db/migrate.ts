/**
 * Applies batchdb's numbered migrations (9.8) with Kysely's Migrator, which records them
 * in `kysely_migration` and takes a lock so two processes starting at once apply each
 * migration once.
 */
import { Migrator, type Kysely, type Migration } from 'kysely';
import { columnTypes } from './column-types.js';
import type { DatabaseHandle } from './connect.js';
import * as m0001 from './migrations/0001-job-repository.js';
import * as m0002 from './migrations/0002-job-execution-history.js';
import * as m0003 from './migrations/0003-event-outbox.js';
import * as m0005 from './migrations/0005-alerte-duree-envoyee.js';

const MIGRATIONS = {
  '0001-job-repository': m0001,
  '0002-job-execution-history': m0002,
  '0003-event-outbox': m0003,
  '0005-alerte-duree-envoyee': m0005,
} as const;

/** Brings batchdb to the latest schema; returns the names of the migrations applied now. */
export async function migrateBatchDb(handle: DatabaseHandle<unknown>): Promise<readonly string[]> {
  const types = columnTypes(handle.dialect);
  const migrations: Record<string, Migration> = Object.fromEntries(
    Object.entries(MIGRATIONS).map(([name, module]) => [name, { up: (db: Kysely<unknown>) => module.up(db, types) }]),
  );
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => migrations },
    // Features land from parallel branches: a database that already has 0005 must still
    // accept 0004 when it arrives. Each migration touches only its own tables.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`batchdb migration ${failed} failed on ${handle.label}: ${(error as Error).message}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
