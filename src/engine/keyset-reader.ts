import type { ItemReader, JsonObject } from './types.js';

export interface KeysetSource<T> {
  /** Items whose key is greater than `afterKey`, in key order, at most `limit`. */
  fetch(afterKey: number, limit: number): Promise<readonly T[]>;
  keyOf(item: T): number;
}

/**
 * A reader that pages by key (`WHERE id > :last ORDER BY id LIMIT n`), never OFFSET, so
 * each page costs the same whatever the table size, and memory holds one chunk. Its
 * state is the last key read; a restarted step resumes after it.
 *
 * @example
 * reader: (ctx) => keysetReader(ctx.restoredContext, {
 *   fetch: (after, limit) => db.selectFrom('t').select('id').where('id', '>', after).orderBy('id').limit(limit).execute(),
 *   keyOf: (row) => row.id,
 * }),
 */
export function keysetReader<T>(restored: JsonObject, source: KeysetSource<T>): ItemReader<T> {
  let lastKey = keysetPosition(restored);
  return {
    async read(max) {
      const items = await source.fetch(lastKey, max);
      const last = items[items.length - 1];
      if (last !== undefined) lastKey = source.keyOf(last);
      return items;
    },
    state: () => ({ lastKey }),
  };
}

/**
 * The key a keyset reader restored from `restored` resumes after (0 on a first run): what
 * a step's `estimate` counts from, so it counts what the reader has still to return.
 *
 * @example
 * estimate: (ctx) => countAfter(keysetPosition(ctx.restoredContext)),
 */
export function keysetPosition(restored: JsonObject): number {
  return typeof restored.lastKey === 'number' ? restored.lastKey : 0;
}

export interface FilteredKeysetSource<T> {
  /**
   * The items after `afterKey`, in key order, from at most `limit` keys examined, and the
   * last key examined (null when there was none): a source that drops some of what it
   * examines (rows another database rules out) still moves on past them.
   */
  fetch(afterKey: number, limit: number): Promise<{ readonly items: readonly T[]; readonly lastKey: number | null }>;
}

/**
 * A keyset reader over a source that filters what it pages through: a page the filter
 * emptied is not the end, and the position saved is the last key examined, so a restart
 * neither reads a dropped key again nor skips one that was kept.
 *
 * @example
 * reader: (ctx) => filteredKeysetReader(ctx.restoredContext, {
 *   fetch: async (after, limit) => { const page = await activeDoctorantPage(dbs, day, after, limit); return { items: page.active, lastKey: page.lastKey }; },
 * }),
 */
export function filteredKeysetReader<T>(restored: JsonObject, source: FilteredKeysetSource<T>): ItemReader<T> {
  let lastKey: number | null = keysetPosition(restored);
  return {
    async read(max) {
      while (lastKey !== null) {
        const page = await source.fetch(lastKey, max);
        lastKey = page.lastKey;
        if (page.items.length > 0) return page.items;
      }
      return [];
    },
    // Exhausted: the position stays past the end, so a restart reads nothing again.
    state: () => ({ lastKey: lastKey ?? Number.MAX_SAFE_INTEGER }),
  };
}
