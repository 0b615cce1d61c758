/**
 * 6.11 and 10.10 across replicas: two service instances on one batchdb give a user one
 * budget of launches, not one each, and the budget survives a restart.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { buildServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/observability/logger.js';
import { mintToken } from '../../src/security/token-minter.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

const SECRET = 'replica-test-secret-of-at-least-32-bytes';

describe.each(dialects)('launch rate limit across replicas (%s)', (dialect) => {
  let env: TestEnvironment;
  const running: { app: App; server: FastifyInstance }[] = [];
  afterEach(async () => {
    for (const { app, server } of running.splice(0)) {
      await server.close();
      await app.close();
    }
    await env?.cleanup();
  });

  const replica = async () => {
    const app = await createApp(env.config, silentLogger);
    const server = await buildServer(app);
    running.push({ app, server });
    return server.listen({ port: 0, host: '127.0.0.1' });
  };

  it('a user gets RATE_LIMIT_RUN_PER_MINUTE accepted launches over both replicas, then 429 on either; refused launches count for nothing; other users keep theirs', async () => {
    env = await createTestEnvironment(dialect, { JWT_SECRET: SECRET, RATE_LIMIT_RUN_PER_MINUTE: '3' });
    const [a, b] = [await replica(), await replica()];
    const as = async (sub: string) => ({ authorization: `Bearer ${await mintToken(env.config.jwt, { subject: sub, roles: ['ROLE_ADMIN'], ttl: '1h' })}` });
    const launch = async (base: string, sub: string, job = 'noSuchJob') => (await fetch(`${base}/api/batch/jobs/${job}/run`, { method: 'POST', headers: await as(sub) })).status;

    // Refused launches (unknown job: 404) use none of the budget.
    for (let i = 0; i < 5; i++) expect(await launch(i % 2 === 0 ? a : b, 'alice')).toBe(404);
    // Three accepted launches, over both replicas (three jobs: one run per job at a time).
    expect([await launch(a, 'alice', 'tokenCleanupJob'), await launch(b, 'alice', 'dureeDoctoratAlertJob'), await launch(a, 'alice', 'dataConsistencyJob')]).toEqual([202, 202, 202]);
    expect(await launch(b, 'alice', 'tokenCleanupJob')).toBe(429);
    expect(await launch(a, 'alice')).toBe(429);
    expect(await launch(b, 'bob')).toBe(404);

    // A restarted replica still knows the budget is spent.
    const c = await replica();
    const limited = await fetch(`${c}/api/batch/jobs/noSuchJob/run`, { method: 'POST', headers: await as('alice') });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });
});
