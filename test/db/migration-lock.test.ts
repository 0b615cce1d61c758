/**
 * batchdb's migrations take a named lock on MariaDB so two processes starting at once
 * apply each migration once. Kysely's own lock waited an hour, or, cut short by
 * max_statement_time, answered NULL and migrated without the lock. A real MariaDB lock
 * here: a second session holds it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { whenReachable } from '../../src/app.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { migrateBatchDb } from '../../src/db/migrate.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, mariadbUrl, type TestEnvironment } from '../support/databases.js';

// Kysely's name for it, which the service keeps (an older version's process is excluded too).
const LOCK_ID = 'ea586330-2c93-47c8-908d-981d9d270f9d';

describe.skipIf(!mariadbUrl)('the migration lock (mysql)', () => {
  let env: TestEnvironment | undefined;
  const handles: DatabaseHandle<unknown>[] = [];
  afterEach(async () => {
    for (const handle of handles.splice(0)) await handle.close();
    await env?.cleanup();
    env = undefined;
  });

  it('is not migrated past while another session holds it, names that session, and is waited for at start', async () => {
    env = await createTestEnvironment('mysql');
    const open = () => {
      const handle = openDatabase<unknown>(env!.config.databases.batch, { ...env!.config.pool, size: 1, statementTimeoutMs: 1_000 }, 'batchdb');
      handles.push(handle);
      return handle;
    };
    const migrating = open();
    const holder = open();

    await holder.db.connection().execute(async (connection) => {
      const taken = await sql<{ got: number; id: number }>`SELECT GET_LOCK(${LOCK_ID}, 0) AS got, CONNECTION_ID() AS id`.execute(connection);
      expect(Number(taken.rows[0]!.got)).toBe(1);
      const holderId = Number(taken.rows[0]!.id);

      const refused = await migrateBatchDb(migrating).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(refused?.message).toContain(`holds the migration lock (MariaDB connection ${holderId}`);
      expect((refused?.cause as { code?: string } | undefined)?.code).toBe('MIGRATION_LOCK_BUSY');

      // At start it is waited for, as a replica's migrations are: released here after 2.5 s.
      const waited = whenReachable('migrations', () => migrateBatchDb(migrating), 30_000, silentLogger);
      await sleep(2_500);
      await sql`SELECT RELEASE_LOCK(${LOCK_ID})`.execute(connection);
      expect(await waited).toEqual([]);
    });
  }, 60_000);
});
