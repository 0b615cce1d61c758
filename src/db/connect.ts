/**
 * A database URL becomes a Kysely instance: `sqlite:<path>` (better-sqlite3, WAL) or
 * `mysql://…` (mysql2 pool, MariaDB). Every difference between the two engines that the
 * rest of the code must know is exposed as `dialect` and handled in `db/` only.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, Kysely, MysqlDialect, sql, SqliteDialect, type SqliteStatement } from 'kysely';
import { createPool } from 'mysql2';
import type { PoolSettings } from '../config.js';
import { guardedDialect, type GuardedDialect } from './guarded-dialect.js';
import { isConnectionBroken } from './errors.js';
import { BoundedMigrationLockAdapter } from './migration-lock.js';
import { sqliteWatchdog, watchdogLimitMs } from './sqlite-watchdog.js';

export type Dialect = 'sqlite' | 'mysql';

export interface DatabaseHandle<DB> {
  readonly dialect: Dialect;
  readonly db: Kysely<DB>;
  /** The URL with its password masked, for messages. */
  readonly label: string;
  /** `batchdb`, `userdb`…: how messages name it. */
  readonly name: string;
  /**
   * What is wrong with the database's storage that no query would show, or undefined.
   * SQLite: the file was deleted or moved while open (writes would go to a deleted
   * file); a file put back at its path is opened at the next use.
   */
  storageProblem(): string | undefined;
  /** MariaDB: the server's ids of this pool's open connections (`CONNECTION_ID()`); none on SQLite. */
  sessionIds(): readonly number[];
  /**
   * MariaDB: ends these connections of this server (`KILL CONNECTION`), the ones a dead
   * process left holding locks. An id already gone is no error; one this user may not end
   * (another user's, without CONNECTION ADMIN) is reported. Nothing on SQLite.
   */
  endSessions(ids: readonly number[]): Promise<{ readonly ended: readonly number[]; readonly refused: readonly string[] }>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * SQLite: fail (SQLITE_CANTOPEN) instead of creating a missing file or its folder, for
   * who only looks (issue 16: a command run from the wrong folder must not leave a new,
   * empty database behind). MariaDB never creates a database by connecting.
   */
  readonly mustExist?: boolean;
  /**
   * SQLite: zero what a delete or an update frees (`PRAGMA secure_delete`), so an erased
   * value leaves no copy in the file's free space; batchdb's, for `archive shred`. With
   * it on from the start, the copies that page splits leave behind are zeroed too.
   */
  readonly secureDelete?: boolean;
}

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (/^(mysql|mariadb):\/\//.test(url)) return 'mysql';
  throw new Error(`unsupported database URL ${JSON.stringify(url)}: expected sqlite:<path> or mysql://…`);
}

/**
 * Opens a database.
 *
 * @example
 * const { db, close } = openDatabase<UserDb>('sqlite:./data/userdb.sqlite', pool);
 * await db.selectFrom('users').selectAll().execute();
 * await close();
 */
export function openDatabase<DB>(url: string, pool: PoolSettings, name = 'database', options: OpenOptions = {}): DatabaseHandle<DB> {
  const dialect = dialectOf(url);
  const label = url.replace(/^([a-z]+:\/\/[^:/@]+:)[^@]*@/i, '$1****@');
  if (dialect === 'mysql') {
    const { db, sessions } = openMysql<DB>(url, pool, name);
    return {
      dialect,
      db,
      label,
      name,
      storageProblem: () => undefined,
      sessionIds: () => [...sessions],
      endSessions: (ids) => endMysqlSessions(db as unknown as Kysely<unknown>, ids),
      close: () => db.destroy(),
    };
  }
  const { db, storageProblem } = openSqlite<DB>(sqliteFile(url), pool, name, options);
  return { dialect, db, label, name, storageProblem, sessionIds: () => [], endSessions: async () => ({ ended: [], refused: [] }), close: () => db.destroy() };
}

/** The file of a `sqlite:` URL, as given (relative to the working directory, or `:memory:`). */
export function sqliteFile(url: string): string {
  return url.slice('sqlite:'.length);
}

function openSqlite<DB>(file: string, pool: PoolSettings, name: string, options: OpenOptions): { db: Kysely<DB>; storageProblem: () => string | undefined } {
  const mustExist = options.mustExist ?? false;
  const inMemory = file === ':memory:';
  if (!inMemory && !mustExist) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const identity = () => (inMemory ? undefined : statSync(file, { throwIfNoEntry: false })?.ino);
  let opened: number | undefined;
  const open = () => {
    if (!inMemory) alignSidecarModes(file);
    const database = new SqliteDatabase(file, { timeout: pool.statementTimeoutMs, fileMustExist: mustExist });
    // WAL lets readers (the API, another process) work while a job writes, and with
    // synchronous=NORMAL a commit costs no fsync: the chunk loop's main cost (STACK-NOTES).
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    if (options.secureDelete) database.pragma('secure_delete = ON');
    opened = identity();
    return withStatementCache(database, name, watchdogLimitMs(pool.statementTimeoutMs));
  };
  // The first handle is opened here, so a bad path fails at start, not at the first query.
  let first: SqliteDatabase.Database | undefined = open();
  const dialect: GuardedDialect = guardedDialect(
    new SqliteDialect({
      database: async () => {
        const database = first ?? open();
        first = undefined;
        return database;
      },
    }),
    {
      database: name,
      renewOn: isConnectionBroken,
      // A deferred transaction that reads and then writes cannot upgrade its lock while
      // another process writes: SQLite answers SQLITE_BUSY at once, without the busy
      // timeout. Taking the write lock at `begin` makes it wait its turn instead.
      begin: CompiledQuery.raw('begin immediate'),
    },
  );
  const storageProblem = () => {
    if (inMemory) return undefined;
    const now = identity();
    if (now === undefined) {
      return `${name}'s file ${path.resolve(file)} is gone (deleted, or its directory moved) while the service uses it: writes go to a deleted file; put it back or restart on a restored copy`;
    }
    if (now !== opened) dialect.renew();
    return undefined;
  };
  return { db: new Kysely<DB>({ dialect }), storageProblem };
}

/**
 * SQLite creates `-wal` and `-shm` with the database file's mode and leaves them behind
 * when a read-only connection closes. Once the file is writable again, a `-shm` made
 * while it was not keeps every new connection read-only, restart or not. They are ours
 * when we own them: they get the file's write bits back before it is opened.
 */
function alignSidecarModes(file: string): void {
  const main = statSync(file, { throwIfNoEntry: false });
  if (!main || (main.mode & 0o200) === 0) return;
  for (const sidecar of [`${file}-wal`, `${file}-shm`]) {
    const stats = statSync(sidecar, { throwIfNoEntry: false });
    if (stats && stats.uid === process.getuid?.() && (stats.mode & 0o200) === 0) chmodSync(sidecar, main.mode & 0o666);
  }
}

/**
 * Kysely prepares every query anew; better-sqlite3 statements hold native memory until
 * garbage-collected, which V8 does not see, so a long job's RSS grew with its query
 * count. A job repeats a handful of SQL texts: reusing their statements keeps memory
 * flat and saves the prepare. Safe because Kysely runs one query at a time on this
 * connection and we do not stream (a streaming statement cannot be shared).
 *
 * Each execution is also shown to the SQLite watchdog (sqlite-watchdog.ts), which ends
 * the process if one computes past its limit: nothing else can stop it.
 */
function withStatementCache(database: SqliteDatabase.Database, name: string, limitMs: number, size = 256): SqliteDatabase.Database {
  const cache = new Map<string, SqliteStatement>();
  const watch = sqliteWatchdog();
  const watched = (statement: SqliteDatabase.Statement): SqliteStatement => {
    const run = <T>(execute: () => T): T => {
      watch.begin(name, statement.source, limitMs);
      try {
        return execute();
      } finally {
        watch.end();
      }
    };
    return {
      reader: statement.reader,
      all: (parameters) => run(() => statement.all(parameters)),
      run: (parameters) => run(() => statement.run(parameters)),
      // Each row is a step of its own; none of ours streams (see above).
      iterate: (parameters) => statement.iterate(parameters),
    };
  };
  return new Proxy(database, {
    get(target, property, receiver) {
      if (property !== 'prepare') {
        const value = Reflect.get(target, property, receiver) as unknown;
        // Native methods must be called on the real database, not on the proxy.
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return (source: string) => {
        let statement = cache.get(source);
        if (statement) {
          cache.delete(source);
        } else {
          statement = watched(target.prepare(source));
          if (cache.size >= size) cache.delete(cache.keys().next().value as string);
        }
        cache.set(source, statement);
        return statement;
      };
    },
  });
}

async function endMysqlSessions(db: Kysely<unknown>, ids: readonly number[]): Promise<{ ended: number[]; refused: string[] }> {
  const ended: number[] = [];
  const refused: string[] = [];
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id <= 0) continue;
    try {
      await sql`KILL CONNECTION ${sql.raw(String(id))}`.execute(db);
      ended.push(id);
    } catch (error) {
      // 1094: unknown thread id, already gone (the server saw the link close, or it timed out).
      if ((error as { errno?: number }).errno === 1094) continue;
      refused.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { ended, refused };
}

function openMysql<DB>(url: string, pool: PoolSettings, name: string): { db: Kysely<DB>; sessions: ReadonlySet<number> } {
  const mysqlPool = createPool({
    uri: url.replace(/^mariadb:/, 'mysql:'),
    connectionLimit: pool.size,
    connectTimeout: pool.connectTimeoutMs,
    // Every timestamp is UTC; strings keep DATETIME/DATE values identical to SQLite's.
    timezone: 'Z',
    dateStrings: true,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: false,
  });
  // The server's id of each open connection (mysql2's threadId is CONNECTION_ID()), for
  // the heartbeat to record and an abandoner to end (migration 0018).
  const sessions = new Set<number>();
  mysqlPool.on('connection', (connection) => {
    const id = connection.threadId;
    if (typeof id !== 'number') return;
    sessions.add(id);
    const forget = () => sessions.delete(id);
    connection.once('end', forget);
    connection.once('error', forget);
  });
  const lockWaitSeconds = Math.max(1, Math.round(pool.statementTimeoutMs / 1000));
  const statementSeconds = (Math.max(1, pool.statementTimeoutMs) / 1000).toFixed(3);
  // mysql2's pool drops a connection that failed fatally (lost, reset) by itself: no renewal needed.
  const db = new Kysely<DB>({
    dialect: guardedDialect(new MysqlDialect({
      pool: mysqlPool,
      // A transaction waiting on a lock fails (and is retried as transient) instead of
      // hanging, and no statement runs longer than DB_STATEMENT_TIMEOUT_MS (MariaDB's
      // max_statement_time, in seconds): a hung statement fails its step, it never holds
      // a run (or its lease's margin, docs/engine.md) forever.
      onCreateConnection: async (connection) => {
        await connection.executeQuery(
          CompiledQuery.raw(
            `SET SESSION innodb_lock_wait_timeout = ${lockWaitSeconds}, max_statement_time = ${statementSeconds}, time_zone = '+00:00'`,
          ),
        );
      },
    }), { database: name, acquireTimeoutMs: pool.waitTimeoutMs, poolSize: pool.size, adapter: new BoundedMigrationLockAdapter(name, lockWaitSeconds) }),
  });
  return { db, sessions };
}
