/**
 * Property 52 (6.11): for any sequence of launches by several users over time, each user
 * has a fixed window of a minute opened by their first launch; within it the (max + 1)-th
 * launch and those after are refused, and Retry-After is the time left in the window.
 * Checked against a model, on the batchdb store with a controlled clock.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchDbRateLimitStore } from '../../src/http/rate-limit-store.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

const WINDOW = 60_000;
const MAX = 5;

describe.each(dialects)('rate limit windows (%s)', (dialect) => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment(dialect);
  });
  afterAll(() => env?.cleanup());

  it('Property 52: the 6th launch within a user’s window is refused with the right Retry-After, per user', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('alice', 'bob', 'carol'), fc.integer({ min: 0, max: 25_000 })), { minLength: 1, maxLength: 40 }),
        async (launches) => {
          await env.databases.batch.db.deleteFrom('rate_limit_window').execute();
          let now = 1_800_000_000_000;
          const { Store } = batchDbRateLimitStore(env.databases.batch.db, env.databases.batch.dialect, () => now);
          const store = new Store().child({ routeInfo: { method: 'POST', url: '/api/batch/jobs/:jobName/run' } });
          const model = new Map<string, { start: number; hits: number }>();
          for (const [user, wait] of launches) {
            now += wait;
            const window = model.get(user);
            const current = !window || window.start + WINDOW <= now ? { start: now, hits: 1 } : { start: window.start, hits: window.hits + 1 };
            model.set(user, current);
            const state = await new Promise<{ current: number; ttl: number }>((resolve, reject) =>
              store.incr(user, (error, result) => (error ? reject(error) : resolve(result)), WINDOW),
            );
            expect(state.current).toBe(current.hits);
            expect(state.current > MAX).toBe(current.hits > MAX);
            // Retry-After, as the plugin derives it: the seconds left in the window, rounded up.
            expect(Math.ceil(state.ttl / 1000)).toBe(Math.ceil((current.start + WINDOW - now) / 1000));
          }
        },
      ),
      { numRuns: dialect === 'sqlite' ? 60 : 25 },
    );
  });
});
