/**
 * MariaDB's migration lock, bounded and checked.
 *
 * Kysely's MySQL adapter takes a server-wide named lock with `GET_LOCK(name, 3600)` and
 * ignores its answer. On our sessions `max_statement_time` ends that wait early, and
 * GET_LOCK then answers NULL without an error: Kysely went on migrating without the lock,
 * beside the process that held it. Without max_statement_time, a process paused while
 * migrating (its session alive, its lock held) kept the next start waiting an hour.
 *
 * Here the wait is at most the session's lock wait, and an answer other than 1 is an
 * error naming the session that holds the lock; start-up waits for it within
 * DB_STARTUP_WAIT_MS (a replica migrating finishes), then stops with that message.
 */
import { MysqlAdapter, sql, type Kysely } from 'kysely';

/** Kysely's own name, so a process of an older version migrating at the same time is still excluded. */
const LOCK_ID = 'ea586330-2c93-47c8-908d-981d9d270f9d';

/** Another session held the migration lock for the whole wait. */
export class MigrationLockBusyError extends Error {
  readonly code = 'MIGRATION_LOCK_BUSY';
  constructor(database: string, waitedSeconds: number, holder: number | null) {
    super(
      `${database}: another session holds the migration lock` +
        `${holder === null ? '' : ` (MariaDB connection ${holder}; SHOW PROCESSLIST names its host, KILL CONNECTION ${holder} ends it)`}` +
        ` after waiting ${waitedSeconds} s: a replica migrating, or a process paused while it migrated`,
    );
    this.name = 'MigrationLockBusyError';
  }
}

export class BoundedMigrationLockAdapter extends MysqlAdapter {
  constructor(
    private readonly database: string,
    private readonly waitSeconds: number,
  ) {
    super();
  }

  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    const { rows } = await sql<{ got: number | null }>`SELECT GET_LOCK(${sql.lit(LOCK_ID)}, ${sql.lit(this.waitSeconds)}) AS got`.execute(db);
    if (Number(rows[0]?.got) === 1) return;
    const held = await sql<{ holder: number | null }>`SELECT IS_USED_LOCK(${sql.lit(LOCK_ID)}) AS holder`.execute(db);
    throw new MigrationLockBusyError(this.database, this.waitSeconds, held.rows[0]?.holder ?? null);
  }
}
