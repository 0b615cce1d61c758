/**
 * 6.11, 10.10: launches (run, restart) are rate limited per user, the token subject,
 * not per address: admins behind one gateway do not share a budget. Requests past the
 * limit get 429 with Retry-After, as a problem like every other error. The counters are
 * in batchdb (rate-limit-store.ts): one budget across replicas and restarts.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/connect.js';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { batchDbRateLimitStore, routeName } from './rate-limit-store.js';
import { principalOf } from './authentication.js';

export class RateLimitedError extends Error {
  readonly statusCode = 429;
  constructor(message: string) {
    super(message);
    this.name = 'RateLimitedError';
  }
}

export async function registerRateLimit(server: FastifyInstance, batch: DatabaseHandle<BatchDb>): Promise<void> {
  const { Store, refund } = batchDbRateLimitStore(batch.db, batch.dialect);
  // Only accepted launches use the budget: a refused one (400 bad parameter, 404 unknown
  // job, 409 already running, 5xx) gives its hit back. 401/403 never reached the counter
  // (authentication answers before the route's limit hook); 429 was not counted either.
  server.addHook('onResponse', async (request, reply) => {
    const limit = (request.routeOptions.config as { rateLimit?: { timeWindow: number } } | undefined)?.rateLimit;
    const status = reply.statusCode;
    if (!limit || status < 400 || status === 401 || status === 403 || status === 429 || !request.principal) return;
    await refund(routeName(request.routeOptions), request.principal.subject, limit.timeWindow).catch((error: unknown) =>
      request.log.warn({ err: error }, 'a refused launch could not be given back to the rate limit; it counts until the window ends'),
    );
  });
  await server.register(rateLimit, {
    global: false,
    store: Store,
    keyGenerator: (request) => principalOf(request).subject,
    errorResponseBuilder: (request, context) =>
      new RateLimitedError(
        `${principalOf(request).subject} made more than ${context.max} launches in ${context.after === '1 minute' ? 'a minute' : context.after} on this endpoint; retry in ${Math.ceil(context.ttl / 1000)} s (Retry-After)`,
      ),
  });
}

/** Route option: `config: launchRateLimit(config)`. */
export function launchRateLimit(config: Config) {
  return { rateLimit: { max: config.api.runsPerMinute, timeWindow: 60_000 } };
}
