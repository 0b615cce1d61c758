/**
 * A store for @fastify/rate-limit whose counters live in batchdb (`rate_limit_window`),
 * so a user's launch limit is one budget across every replica and survives a restart.
 * One fixed window per route and user: the first hit opens it, hits inside it count, the
 * first hit after it opens the next. The window is read and advanced in one upsert, in a
 * transaction with the read of its result, so concurrent hits from several replicas each
 * count once. Replicas' clocks are assumed synchronised (NTP), as for the heartbeats.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db/connect.js';
import type { BatchDb } from '../db/schema/batch-tables.js';

interface WindowState {
  readonly current: number;
  readonly ttl: number;
}

type Callback = (error: Error | null, state: WindowState) => void;

/**
 * `Store`: the class @fastify/rate-limit instantiates (`store` option), bound to batchdb;
 * `refund`: gives a refused launch's hit back (rate-limit.ts), so only accepted launches
 * use the budget.
 */
export function batchDbRateLimitStore(db: Kysely<BatchDb>, dialect: Dialect, clock: () => number = Date.now) {
  const Store = class BatchDbStore {
    /** The plugin constructs the root store with its options; routes get theirs from child(). */
    constructor(
      _options?: unknown,
      private readonly route = '',
    ) {}

    /** At run time the plugin passes the route's merged limit options, the route under `routeInfo`. */
    child(routeOptions: object): BatchDbStore {
      return new BatchDbStore(undefined, routeName((routeOptions as { routeInfo?: RouteInfo }).routeInfo));
    }

    incr(key: string, callback: Callback, timeWindow: number): void {
      hit(this.keyOf(key), timeWindow).then(
        (state) => callback(null, state),
        (error: unknown) => callback(error as Error, { current: 0, ttl: 0 }),
      );
    }

    read(key: string, callback: Callback, timeWindow: number): void {
      peek(this.keyOf(key), timeWindow).then(
        (state) => callback(null, state),
        (error: unknown) => callback(error as Error, { current: 0, ttl: 0 }),
      );
    }

    private keyOf(user: string): string {
      return windowKey(this.route, user);
    }
  };

  /** Gives back a hit of the current window: a launch that was refused used none of the budget. */
  async function refund(route: string, user: string, timeWindow: number): Promise<void> {
    await db
      .updateTable('rate_limit_window')
      .set((eb) => ({ hits: eb('hits', '-', 1) }))
      .where('window_key', '=', windowKey(route, user))
      .where('hits', '>', 0)
      .where(sql<boolean>`window_start_ms + ${timeWindow} > ${clock()}`)
      .execute();
  }

  async function hit(key: string, timeWindow: number): Promise<WindowState> {
    const now = clock();
    const expired = sql`window_start_ms + ${timeWindow} <= ${now}`;
    return db.transaction().execute(async (tx) => {
      // The engines differ only in the upsert's spelling; both keep the row locked until commit.
      await (dialect === 'sqlite'
        ? sql`INSERT INTO rate_limit_window (window_key, window_start_ms, hits) VALUES (${key}, ${now}, 1)
              ON CONFLICT (window_key) DO UPDATE SET
                hits = CASE WHEN ${expired} THEN 1 ELSE hits + 1 END,
                window_start_ms = CASE WHEN ${expired} THEN ${now} ELSE window_start_ms END`
        : sql`INSERT INTO rate_limit_window (window_key, window_start_ms, hits) VALUES (${key}, ${now}, 1)
              ON DUPLICATE KEY UPDATE
                hits = IF(${expired}, 1, hits + 1),
                window_start_ms = IF(${expired}, ${now}, window_start_ms)`
      ).execute(tx);
      const row = await tx.selectFrom('rate_limit_window').select(['hits', 'window_start_ms']).where('window_key', '=', key).executeTakeFirstOrThrow();
      return { current: Number(row.hits), ttl: Math.max(0, Number(row.window_start_ms) + timeWindow - now) };
    });
  }

  async function peek(key: string, timeWindow: number): Promise<WindowState> {
    const now = clock();
    const row = await db.selectFrom('rate_limit_window').select(['hits', 'window_start_ms']).where('window_key', '=', key).executeTakeFirst();
    if (!row || Number(row.window_start_ms) + timeWindow <= now) return { current: 0, ttl: 0 };
    return { current: Number(row.hits), ttl: Number(row.window_start_ms) + timeWindow - now };
  }
  return { Store, refund };
}

interface RouteInfo {
  readonly method?: string | string[];
  readonly url?: string;
}

/** The route's part of a window's key, as the plugin's route options and a request's both give it. */
export function routeName(route: RouteInfo | undefined): string {
  return `${[route?.method ?? ''].flat().join(',')} ${route?.url ?? ''}`;
}

function windowKey(route: string, user: string): string {
  return createHash('sha256').update(`${route}\n${user}`).digest('hex');
}
