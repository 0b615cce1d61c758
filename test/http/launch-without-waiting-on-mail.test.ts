/**
 * 9: a launch that finds an abandoned run records the abandonment at once and sends its
 * failure notification in the background: with an SMTP server that accepts connections
 * and never answers, POST /run still answers 202 at once.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { buildServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/observability/logger.js';
import { mintToken } from '../../src/security/token-minter.js';
import { createTestEnvironment, type TestEnvironment } from '../support/databases.js';
import { lapseLeases } from '../support/leases.js';

const SECRET = 'mail-test-secret-of-at-least-32-bytes!!';

describe('launches never wait on mail', () => {
  let env: TestEnvironment;
  let app: App | undefined;
  let blackHole: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => (blackHole ? blackHole.close(resolve) : resolve(undefined)));
    await app?.close();
    await env?.cleanup();
  });

  it('POST /run answers 202 while the failure mail of the run it abandoned waits on a silent SMTP server', async () => {
    blackHole = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => blackHole!.listen(0, '127.0.0.1', resolve));
    const smtpPort = (blackHole.address() as { port: number }).port;
    env = await createTestEnvironment('sqlite', {
      JWT_SECRET: SECRET,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      TECH_ADMIN_EMAILS: 'tech@univ-exemple.fr',
      SMTP_TIMEOUT_MS: '60000',
    });
    app = await createApp(env.config, silentLogger);
    // A run whose process died: launched, never heard of again.
    const { execution: dead } = await app.repository.launch({
      jobName: 'tokenCleanupJob',
      decide: (_current, identifying) => ({ jobName: 'tokenCleanupJob', parameters: identifying, dryRun: false, trigger: 'CLI', triggeredBy: null, restartOf: null, context: {} }),
    });
    expect(await lapseLeases(env.databases.batch.db, dead.id)).toBe(1);

    const server = await buildServer(app);
    const base = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const authorization = `Bearer ${await mintToken(env.config.jwt, { subject: 'alice', roles: ['ROLE_ADMIN'], ttl: '1h' })}`;
      // Waiting on the mail would take a minute (SMTP_TIMEOUT_MS): the launch must not.
      const response = await fetch(`${base}/api/batch/jobs/tokenCleanupJob/run`, { method: 'POST', headers: { authorization }, signal: AbortSignal.timeout(5_000) });
      expect(response.status).toBe(202);
      const abandoned = await app.repository.getExecutionOrThrow(dead.id);
      expect([abandoned.status, abandoned.exitCode]).toEqual(['FAILED', 'ABANDONED']);
      // The notification is under way: the SMTP server was reached.
      for (let i = 0; i < 100 && sockets.size === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(sockets.size).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.close();
    }
  });
});
