/**
 * What `serve` and the commands do with batchdb before they are up (migrations, the sweep,
 * missed fires) waits, within DB_STARTUP_WAIT_MS, for a lock another process holds past
 * the statement's wait: a replica migrating, a process paused mid-transaction. The fault
 * harness found `serve` exiting 2 at start beside a paused run ("max_statement_time
 * exceeded" in its migrations). A real MariaDB lock here: a second session holds a row,
 * and the work's session gives up on it after innodb_lock_wait_timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { whenReachable } from '../../src/app.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, mariadbUrl, type TestEnvironment } from '../support/databases.js';

describe.skipIf(!mariadbUrl)('the start-up wait (mysql)', () => {
  let env: TestEnvironment;
  let holder: DatabaseHandle<unknown> | undefined;
  afterEach(async () => {
    await holder?.close();
    await env?.cleanup();
  });

  it('waits for a lock another session holds, and gives up at once when told not to wait', async () => {
    env = await createTestEnvironment('mysql');
    const db = env.databases.batch.db;
    await sql`CREATE TABLE startup_lock (id INT PRIMARY KEY)`.execute(db);
    await sql`INSERT INTO startup_lock VALUES (1)`.execute(db);
    holder = openDatabase<unknown>(env.config.databases.batch, { ...env.config.pool, size: 1 }, 'batch');
    const work = () =>
      db.connection().execute(async (connection) => {
        await sql`SET SESSION innodb_lock_wait_timeout = 1`.execute(connection);
        return connection.transaction().execute(async (trx) => (await sql<{ id: number }>`SELECT id FROM startup_lock WHERE id = 1 FOR UPDATE`.execute(trx)).rows.length);
      });

    await holder.db.connection().execute(async (connection) => {
      await sql`BEGIN`.execute(connection);
      await sql`SELECT id FROM startup_lock WHERE id = 1 FOR UPDATE`.execute(connection);
      // Told not to wait, the work fails with the lock wait timeout, as before.
      await expect(whenReachable('test', work, 0, silentLogger)).rejects.toMatchObject({ code: 'ER_LOCK_WAIT_TIMEOUT' });
      // Told to wait, it tries again until the lock is free: released here after 2.5 s.
      const waited = whenReachable('test', work, 30_000, silentLogger);
      await sleep(2_500);
      await sql`COMMIT`.execute(connection);
      expect(await waited).toBe(1);
    });
  }, 60_000);
});
