import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { buildServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

interface HealthBody {
  status: string;
  components: Record<string, { status: string; details: { latencyMs?: number; error?: string; threshold?: number } }>;
}

describe.each(dialects)('GET /actuator/health (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('is UP with a component per database, disk, mail and broker, and DOWN naming the database that stops answering', async () => {
    env = await createTestEnvironment(dialect);
    app = await createApp(env.config, silentLogger);
    const server = await buildServer(app);
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const up = await fetch(`${address}/actuator/health`);
      expect(up.status).toBe(200);
      const body = (await up.json()) as HealthBody;
      expect(body.status).toBe('UP');
      expect(Object.keys(body.components).sort()).toEqual(
        ['batchDb', 'defenseDb', 'diskSpace', 'eventBroker', 'inscriptionDb', 'mail', 'notificationDb', 'userDb'],
      );
      expect(body.components.userDb?.details.latencyMs).toBeGreaterThanOrEqual(0);
      expect((await fetch(`${address}/actuator/health/readiness`)).status).toBe(200);

      await app.databases.defense.close();
      const down = await fetch(`${address}/actuator/health`);
      expect(down.status).toBe(503);
      const downBody = (await down.json()) as HealthBody;
      expect(downBody.status).toBe('DOWN');
      expect(downBody.components.defenseDb?.status).toBe('DOWN');
      expect(downBody.components.userDb?.status).toBe('UP');
      // A sibling database is not needed to take work: the probes stay UP.
      expect((await fetch(`${address}/actuator/health/readiness`)).status).toBe(200);
      expect((await fetch(`${address}/actuator/health/liveness`)).status).toBe(200);

      await app.databases.batch.close();
      const notReady = await fetch(`${address}/actuator/health/readiness`);
      expect(notReady.status).toBe(503);
      expect(((await notReady.json()) as HealthBody).components.batchDb?.status).toBe('DOWN');
      expect((await fetch(`${address}/actuator/health/liveness`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('health indicators', () => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('reports diskSpace DOWN under the threshold, takes added indicators, and times a hanging one out', async () => {
    env = await createTestEnvironment('sqlite', { HEALTH_DISK_MIN_FREE_MB: String(1024 * 1024 * 1024), HEALTH_TIMEOUT_MS: '200' });
    app = await createApp(env.config, silentLogger);
    const server = await buildServer(app);
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const disk = (await (await fetch(`${address}/actuator/health`)).json()) as HealthBody;
      expect(disk.status).toBe('DOWN');
      expect(disk.components.diskSpace?.status).toBe('DOWN');
      expect(disk.components.diskSpace?.details.error).toContain(env.dataDir);
      expect(disk.components.batchDb?.status).toBe('UP');

      app.health.register({ name: 'mail', check: () => new Promise(() => undefined) });
      app.health.register({ name: 'eventBroker', check: async () => ({ status: 'UP', details: { mode: 'test' } }) });
      const body = (await (await fetch(`${address}/actuator/health`)).json()) as HealthBody;
      expect(body.components.mail).toEqual({ status: 'DOWN', details: { error: 'no answer within 200 ms' } });
      expect(body.components.eventBroker).toEqual({ status: 'UP', details: { mode: 'test' } });
    } finally {
      await server.close();
    }
  });

  it('probes a configured SMTP server and Kafka broker and says which one does not answer', async () => {
    env = await createTestEnvironment('sqlite', { SMTP_URL: 'smtp://user:hunter2@127.0.0.1:1', KAFKA_BROKERS: '127.0.0.1:1', HEALTH_TIMEOUT_MS: '2000' });
    app = await createApp(env.config, silentLogger);
    const health = await app.health.check();
    expect(health.components.mail?.status).toBe('DOWN');
    expect(health.components.mail?.details).toMatchObject({ transport: 'smtp', server: '127.0.0.1:1' });
    expect(JSON.stringify(health)).not.toContain('hunter2');
    expect(health.components.eventBroker?.status).toBe('DOWN');
    expect(health.components.eventBroker?.details).toMatchObject({ mode: 'kafka', brokers: ['127.0.0.1:1'] });
  });
});
