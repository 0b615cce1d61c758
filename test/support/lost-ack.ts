/**
 * A batchdb connection that loses acknowledgements on demand, at the driver: the armed
 * statement runs and commits (alone, or with the transaction it is part of), then the
 * caller is told ECONNRESET, as when the connection dies between the server's commit and
 * its answer. The caller's retry then runs against a database that already holds the write.
 */
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, MysqlDialect, SqliteDialect, type DatabaseConnection, type Dialect, type Driver, type QueryResult, type TransactionSettings } from 'kysely';
import { createPool } from 'mysql2';
import { sqliteFile } from '../../src/db/connect.js';
import type { DatabaseName } from '../../src/config.js';
import type { BatchDb } from '../../src/db/schema/batch-tables.js';
import type { TestEnvironment } from './databases.js';

export interface LostAcks<DB = BatchDb> {
  readonly db: Kysely<DB>;
  /** The next statement matching `pattern` commits, then its caller gets ECONNRESET (once). */
  loseNext(pattern: RegExp): void;
  /** The statements whose acknowledgement was lost, in order: a test checks its fault fired. */
  readonly lost: string[];
  close(): Promise<void>;
}

const lostAck = () => Object.assign(new Error('read ECONNRESET (acknowledgement lost after the commit)'), { code: 'ECONNRESET', errno: -104 });

/** A connection to `database` (batchdb unless named) that loses acknowledgements on demand. */
export function openWithLostAcks<DB = BatchDb>(env: TestEnvironment, database: DatabaseName = 'batch'): LostAcks<DB> {
  const url = env.config.databases[database];
  const state = { armed: undefined as RegExp | undefined, lost: [] as string[] };
  const inner: Dialect =
    env.dialect === 'sqlite'
      ? new SqliteDialect({
          database: async () => {
            const database = new Database(sqliteFile(url));
            database.pragma('busy_timeout = 5000');
            return database;
          },
        })
      : new MysqlDialect({
          pool: createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), connectionLimit: 4, timezone: 'Z', dateStrings: true, charset: 'utf8mb4', supportBigNumbers: true, bigNumberStrings: false }),
          onCreateConnection: async (connection) => {
            await connection.executeQuery(CompiledQuery.raw("SET SESSION time_zone = '+00:00'"));
          },
        });
  const dialect: Dialect = {
    createAdapter: () => inner.createAdapter(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createDriver: () => new LosingDriver(inner.createDriver(), state, env.dialect === 'sqlite'),
  };
  const db = new Kysely<DB>({ dialect });
  return {
    db,
    loseNext(pattern) {
      state.armed = pattern;
    },
    lost: state.lost,
    close: () => db.destroy(),
  };
}

class LosingDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly state: { armed: RegExp | undefined; lost: string[] },
    private readonly sqlite: boolean,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    const state = this.state;
    // What the open transaction did that matched: its commit is the write whose answer is lost.
    let transaction: { matched: string | undefined } | undefined;
    let afterLostCommit = false;
    const wrapped: DatabaseConnection & { inner: DatabaseConnection } = {
      inner: connection,
      async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        const text = query.sql.trim().toLowerCase();
        // Kysely rolls back after a failed commit; the commit did happen, so there is
        // nothing to roll back (SQLite would say so with an error of its own, hiding ours).
        if (text === 'rollback' && afterLostCommit) {
          afterLostCommit = false;
          return { rows: [] };
        }
        afterLostCommit = false;
        const result = await connection.executeQuery<R>(query);
        if (text.startsWith('begin') || text.startsWith('start transaction')) {
          transaction = { matched: undefined };
        } else if (text === 'rollback') {
          transaction = undefined;
        } else if (text === 'commit') {
          const matched = transaction?.matched;
          transaction = undefined;
          if (matched !== undefined) {
            state.lost.push(matched);
            afterLostCommit = true;
            throw lostAck();
          }
        } else if (state.armed?.test(query.sql)) {
          state.armed = undefined;
          if (transaction) transaction.matched = query.sql;
          else {
            state.lost.push(query.sql);
            throw lostAck();
          }
        }
        return result;
      },
      streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
    };
    return wrapped;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    // SQLite: take the write lock at once, as the service's own connections do.
    if (this.sqlite) await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    else await this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection((connection as { inner?: DatabaseConnection }).inner ?? connection);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
