/**
 * Applies batchdb's numbered migrations (9.8) with Kysely's Migrator, which records them
 * in `kysely_migration` and takes a lock so two processes starting at once apply each
 * migration once.
 */
import { Migrator, type Kysely, type Migration } from 'kysely';
import { columnTypes, type ColumnTypes } from './column-types.js';
import type { DatabaseHandle, Dialect } from './connect.js';
import * as m0001 from './migrations/0001-job-repository.js';
import * as m0002 from './migrations/0002-job-execution-history.js';
import * as m0003 from './migrations/0003-event-outbox.js';
import * as m0004 from './migrations/0004-audit-log.js';
import * as m0005 from './migrations/0005-alerte-duree-envoyee.js';
import * as m0006 from './migrations/0006-job-execution-version.js';
import * as m0007 from './migrations/0007-health-probe.js';
import * as m0008 from './migrations/0008-execution-lease.js';
import * as m0009 from './migrations/0009-rate-limit.js';
import * as m0010 from './migrations/0010-archives.js';
import * as m0011 from './migrations/0011-consistency-anomaly.js';
import * as m0012 from './migrations/0012-step-estimate.js';
import * as m0013 from './migrations/0013-dry-run-would-write.js';
import * as m0014 from './migrations/0014-report-snapshot.js';
import * as m0015 from './migrations/0015-erase-shredded-rows.js';
import * as m0016 from './migrations/0016-retention.js';
import * as m0017 from './migrations/0017-protocol-idempotency.js';
import * as m0018 from './migrations/0018-execution-sessions.js';
import * as m0019 from './migrations/0019-end-audited.js';

interface MigrationModule {
  /** `dialect` is for what column types cannot say (triggers, for one). */
  up(db: Kysely<unknown>, types: ColumnTypes, dialect: Dialect): Promise<void>;
}

const MIGRATIONS: Readonly<Record<string, MigrationModule>> = {
  '0001-job-repository': m0001,
  '0002-job-execution-history': m0002,
  '0003-event-outbox': m0003,
  '0004-audit-log': m0004,
  '0005-alerte-duree-envoyee': m0005,
  '0006-job-execution-version': m0006,
  '0007-health-probe': m0007,
  '0008-execution-lease': m0008,
  '0009-rate-limit': m0009,
  '0010-archives': m0010,
  '0011-consistency-anomaly': m0011,
  '0012-step-estimate': m0012,
  '0013-dry-run-would-write': m0013,
  '0014-report-snapshot': m0014,
  '0015-erase-shredded-rows': m0015,
  '0016-retention': m0016,
  '0017-protocol-idempotency': m0017,
  '0018-execution-sessions': m0018,
  '0019-end-audited': m0019,
};

/** Brings batchdb to the latest schema; returns the names of the migrations applied now. */
export async function migrateBatchDb(handle: DatabaseHandle<unknown>): Promise<readonly string[]> {
  const types = columnTypes(handle.dialect);
  const migrations: Record<string, Migration> = Object.fromEntries(
    Object.entries(MIGRATIONS).map(([name, module]) => [name, { up: (db: Kysely<unknown>) => module.up(db, types, handle.dialect) }]),
  );
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => migrations },
    // Numbers are reserved per branch, so a lower one (0003) may land after a higher one
    // was applied somewhere; each still runs exactly once.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`batchdb migration ${failed} failed on ${handle.label}: ${(error as Error).message}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
