import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { buildServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

describe.each(dialects)('GET /actuator/health (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('is UP with a component per database, and DOWN naming the database that stops answering', async () => {
    env = await createTestEnvironment(dialect);
    app = await createApp(env.config, silentLogger);
    const server = await buildServer(app);
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const up = await fetch(`${address}/actuator/health`);
      expect(up.status).toBe(200);
      const body = (await up.json()) as { status: string; components: Record<string, { status: string; details: { latencyMs?: number } }> };
      expect(body.status).toBe('UP');
      expect(Object.keys(body.components).sort()).toEqual(['batchDb', 'defenseDb', 'inscriptionDb', 'notificationDb', 'userDb']);
      expect(body.components.userDb?.details.latencyMs).toBeGreaterThanOrEqual(0);

      await app.databases.defense.close();
      const down = await fetch(`${address}/actuator/health`);
      expect(down.status).toBe(503);
      const downBody = (await down.json()) as { status: string; components: Record<string, { status: string }> };
      expect(downBody.status).toBe('DOWN');
      expect(downBody.components.defenseDb?.status).toBe('DOWN');
      expect(downBody.components.userDb?.status).toBe('UP');
    } finally {
      await server.close();
    }
  });
});
