/**
 * A database URL becomes a Kysely instance: `sqlite:<path>` (better-sqlite3, WAL) or
 * `mysql://…` (mysql2 pool, MariaDB). Every difference between the two engines that the
 * rest of the code must know is exposed as `dialect` and handled in `db/` only.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, Kysely, MysqlDialect, SqliteDialect } from 'kysely';
import { createPool } from 'mysql2';
import type { PoolSettings } from '../config.js';

export type Dialect = 'sqlite' | 'mysql';

export interface DatabaseHandle<DB> {
  readonly dialect: Dialect;
  readonly db: Kysely<DB>;
  /** The URL with its password masked, for messages. */
  readonly label: string;
  close(): Promise<void>;
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
export function openDatabase<DB>(url: string, pool: PoolSettings): DatabaseHandle<DB> {
  const dialect = dialectOf(url);
  const label = url.replace(/^([a-z]+:\/\/[^:/@]+:)[^@]*@/i, '$1****@');
  const db = dialect === 'sqlite' ? openSqlite<DB>(url.slice('sqlite:'.length), pool) : openMysql<DB>(url, pool);
  return { dialect, db, label, close: () => db.destroy() };
}

function openSqlite<DB>(file: string, pool: PoolSettings): Kysely<DB> {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new SqliteDatabase(file, { timeout: pool.statementTimeoutMs });
  // WAL lets readers (the API, another process) work while a job writes, and with
  // synchronous=NORMAL a commit costs no fsync: the chunk loop's main cost (STACK-NOTES).
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  return new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
}

/**
 * Kysely prepares every query anew; better-sqlite3 statements hold native memory until
 * garbage-collected, which V8 does not see, so a long job's RSS grew with its query
 * count. A job repeats a handful of SQL texts: reusing their statements keeps memory
 * flat and saves the prepare. Safe because Kysely runs one query at a time on this
 * connection and we do not stream (a streaming statement cannot be shared).
 */
function withStatementCache(database: SqliteDatabase.Database, size = 256): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
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
          statement = target.prepare(source);
          if (cache.size >= size) cache.delete(cache.keys().next().value as string);
        }
        cache.set(source, statement);
        return statement;
      };
    },
  });
}

function openMysql<DB>(url: string, pool: PoolSettings): Kysely<DB> {
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
  const lockWaitSeconds = Math.max(1, Math.round(pool.statementTimeoutMs / 1000));
  return new Kysely<DB>({
    dialect: new MysqlDialect({
      pool: mysqlPool,
      // A transaction waiting on a lock fails (and is retried as transient) instead of hanging.
      onCreateConnection: async (connection) => {
        await connection.executeQuery(
          CompiledQuery.raw(`SET SESSION innodb_lock_wait_timeout = ${lockWaitSeconds}, time_zone = '+00:00'`),
        );
      },
    }),
  });
}
