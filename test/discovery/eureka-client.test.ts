/** The Eureka client against a loopback server speaking Eureka's REST API (9.10). */
import { afterEach, describe, expect, it } from 'vitest';
import { EurekaClient } from '../../src/discovery/eureka-client.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startFakeEureka, type FakeEureka } from './fake-eureka.js';

const INSTANCE = { hostName: 'batch-1.test', ipAddr: '127.0.0.1', port: 8085 };
const ID_PATH = '/eureka/apps/BATCH-SERVICE/batch-1.test%3Abatch-service%3A8085';

describe('Eureka client', () => {
  let eureka: FakeEureka | undefined;
  let client: EurekaClient | undefined;
  afterEach(async () => {
    await client?.stop();
    await eureka?.close();
  });

  it('registers BATCH-SERVICE with its URLs, heartbeats, registers again after a 404, and deregisters', async () => {
    eureka = await startFakeEureka();
    client = new EurekaClient({ serviceUrl: eureka.url, heartbeatIntervalMs: 20, logger: silentLogger, retryDelayMs: 10 });
    client.start(INSTANCE);

    const registration = await eureka.waitFor((r) => r.method === 'POST');
    expect(registration.path).toBe('/eureka/apps/BATCH-SERVICE');
    expect(registration.status).toBe(204);
    expect(registration.body?.instance).toMatchObject({
      instanceId: 'batch-1.test:batch-service:8085',
      app: 'BATCH-SERVICE',
      hostName: 'batch-1.test',
      ipAddr: '127.0.0.1',
      status: 'UP',
      port: { $: 8085, '@enabled': 'true' },
      homePageUrl: 'http://batch-1.test:8085/',
      statusPageUrl: 'http://batch-1.test:8085/actuator/info',
      healthCheckUrl: 'http://batch-1.test:8085/actuator/health',
      dataCenterInfo: { name: 'MyOwn' },
    });
    const heartbeat = await eureka.waitFor((r) => r.method === 'PUT' && r.status === 200);
    expect(heartbeat.path).toBe(ID_PATH);

    // Eureka restarted and lost its registry: the next heartbeat gets 404, the client registers again.
    eureka.forget();
    const lost = await eureka.waitFor((r) => r.method === 'PUT' && r.status === 404);
    const again = await eureka.waitFor((r) => r.method === 'POST' && eureka!.requests.indexOf(r) > eureka!.requests.indexOf(lost));
    expect(again.status).toBe(204);
    await eureka.waitFor((r) => r.method === 'PUT' && r.status === 200 && eureka!.requests.indexOf(r) > eureka!.requests.indexOf(again));

    await client.stop();
    const cancel = eureka.requests.at(-1);
    expect(cancel).toMatchObject({ method: 'DELETE', path: ID_PATH, status: 200 });
    const count = eureka.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(eureka.requests.length).toBe(count);
  });

  it('keeps retrying while Eureka fails, then registers', async () => {
    eureka = await startFakeEureka();
    eureka.failNext(3);
    client = new EurekaClient({ serviceUrl: eureka.url, heartbeatIntervalMs: 1_000, logger: silentLogger, retryDelayMs: 5, maxRetryDelayMs: 50 });
    client.start(INSTANCE);
    await eureka.waitFor((r) => r.method === 'POST' && r.status === 204);
    expect(eureka.requests.map((r) => `${r.method} ${r.status}`).slice(0, 4)).toEqual(['POST 503', 'POST 503', 'POST 503', 'POST 204']);
  });

  it('starts and stops without error when nothing listens at the Eureka URL', async () => {
    const unreachable = await startFakeEureka();
    const url = unreachable.url;
    await unreachable.close();
    client = new EurekaClient({ serviceUrl: url, heartbeatIntervalMs: 1_000, logger: silentLogger, retryDelayMs: 5, maxRetryDelayMs: 20 });
    expect(() => client!.start(INSTANCE)).not.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(client.stop()).resolves.toBeUndefined();
  });
});
