/**
 * A Kysely dialect around another that does two things for every query of one database:
 *
 * - Names the database in its errors (a symbol on the driver's error object, left as it
 *   is otherwise: retry and skip policies still read its `code`), so the API can answer
 *   « batchdb is unavailable: SQLITE_READONLY … » instead of an anonymous 500.
 * - Renews the driver after an error that says the connection itself is bad (`renewOn`):
 *   SQLite keeps a file opened read-only, or a file since deleted, for as long as the
 *   handle lives, so a fixed permission or a restored file would be seen only after a
 *   restart. The new driver is made at the next acquisition while no connection of the
 *   old one is in use or awaited (a transaction is never cut in two).
 * - Optionally begins transactions with a statement of its own (SQLite: `begin immediate`).
 */
import type { CompiledQuery, DatabaseConnection, Dialect, DialectAdapter, Driver, QueryResult, TransactionSettings } from 'kysely';

const DATABASE = Symbol('database');

/** The database whose driver raised this error, when it came through a guarded dialect. */
export function databaseOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? ((error as Record<symbol, unknown>)[DATABASE] as string | undefined) : undefined;
}

export interface GuardOptions {
  /** Name used in messages: `batchdb`, `userdb`… */
  readonly database: string;
  /** Errors after which the driver is renewed; default: never. */
  readonly renewOn?: (error: unknown) => boolean;
  /** The statement that begins a transaction, instead of the driver's own. */
  readonly begin?: CompiledQuery;
  /**
   * Longest a query that finds all `poolSize` connections taken waits for one
   * (DB_POOL_WAIT_TIMEOUT_MS); default: as long as it takes. Past it the query fails with
   * `PoolWaitTimeoutError`, unsent.
   */
  readonly acquireTimeoutMs?: number;
  /** The pool's size, for that error's message. */
  readonly poolSize?: number;
  /** An adapter of its own instead of the dialect's (MariaDB: a bounded migration lock). */
  readonly adapter?: DialectAdapter;
}

/** No connection of the pool came free in time: more concurrent steps and requests than connections. */
export class PoolWaitTimeoutError extends Error {
  readonly code = 'POOL_WAIT_TIMEOUT';
  constructor(database: string, waitedMs: number, poolSize: number | undefined) {
    super(
      `${database}: no free connection after ${waitedMs} ms (DB_POOL_WAIT_TIMEOUT_MS)${poolSize === undefined ? '' : `, all ${poolSize} of the pool in use (DB_POOL_SIZE)`}: ` +
        'more concurrent steps and requests than connections; the query was not sent',
    );
    this.name = 'PoolWaitTimeoutError';
  }
}

export interface GuardedDialect extends Dialect {
  /** Renew the driver at the next acquisition (the file was replaced, for one). */
  renew(): void;
}

export function guardedDialect(inner: Dialect, options: GuardOptions): GuardedDialect {
  let driver: GuardedDriver | undefined;
  return {
    createAdapter: () => options.adapter ?? inner.createAdapter(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createDriver: () => (driver = new GuardedDriver(() => inner.createDriver(), options)),
    renew: () => driver?.renew(),
  };
}

function tag(error: unknown, database: string): unknown {
  if (typeof error === 'object' && error !== null && Object.isExtensible(error) && databaseOf(error) === undefined) {
    Object.defineProperty(error, DATABASE, { value: database, enumerable: false });
  }
  return error;
}

class GuardedDriver implements Driver {
  private current: Driver;
  private inUse = 0;
  private stale = false;
  /** While a new driver initialises, every acquisition waits for it (and fails with it). */
  private renewing: Promise<void> | undefined;
  private readonly inner = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(private readonly create: () => Driver, private readonly options: GuardOptions) {
    this.current = create();
  }

  renew(): void {
    this.stale = true;
  }

  init(): Promise<void> {
    return this.current.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.stale && this.inUse === 0 && this.renewing === undefined) {
      this.stale = false;
      this.renewing = this.renewDriver().finally(() => (this.renewing = undefined));
    }
    if (this.renewing) await this.renewing;
    this.inUse++;
    const driver = this.current;
    try {
      const connection = await this.acquireWithin(driver);
      const guarded: DatabaseConnection = {
        // Kysely's SQLite connection throws synchronously: awaited here, both kinds are caught.
        executeQuery: async <R>(query: CompiledQuery) => {
          try {
            return await connection.executeQuery<R>(query);
          } catch (error) {
            return this.fail(error);
          }
        },
        streamQuery: <R>(query: CompiledQuery, chunkSize?: number) => this.stream<R>(connection, query, chunkSize),
      };
      this.inner.set(guarded, connection);
      return guarded;
    } catch (error) {
      this.inUse--;
      return this.fail(error);
    }
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (this.options.begin) await connection.executeQuery(this.options.begin);
    else await this.current.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.current.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.current.rollbackTransaction(connection);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.current.releaseConnection(this.inner.get(connection) ?? connection);
    } finally {
      this.inUse--;
    }
  }

  destroy(): Promise<void> {
    return this.current.destroy();
  }

  /** The driver's connection, or PoolWaitTimeoutError once `acquireTimeoutMs` has passed (a connection that comes later goes back to the pool). */
  private acquireWithin(driver: Driver): Promise<DatabaseConnection> {
    const acquiring = driver.acquireConnection();
    const limit = this.options.acquireTimeoutMs;
    // Only a query that finds every connection taken waits for one; while the pool may
    // still open a connection, opening it is bounded by the connect timeout instead.
    const exhausted = this.options.poolSize !== undefined && this.inUse > this.options.poolSize;
    if (limit === undefined || limit <= 0 || !exhausted) return acquiring;
    return new Promise<DatabaseConnection>((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new PoolWaitTimeoutError(this.options.database, limit, this.options.poolSize));
      }, limit);
      acquiring.then(
        (connection) => {
          if (!late) {
            clearTimeout(timer);
            resolve(connection);
          } else {
            driver.releaseConnection(connection).catch(() => undefined);
          }
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (!late) reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private async renewDriver(): Promise<void> {
    const old = this.current;
    this.current = this.create();
    await old.destroy().catch(() => undefined);
    try {
      await this.current.init();
    } catch (error) {
      // Still broken (the file cannot be opened yet): the next acquisition tries again.
      this.stale = true;
      this.fail(error);
    }
  }

  private async *stream<R>(connection: DatabaseConnection, query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* connection.streamQuery<R>(query, chunkSize);
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): never {
    if (this.options.renewOn?.(error)) this.stale = true;
    throw tag(error, this.options.database);
  }
}
