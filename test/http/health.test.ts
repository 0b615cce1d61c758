import { chmodSync, chownSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/db/connect.js';
import type { Env } from '../../src/config.js';
import { createApp, type App } from '../../src/app.js';
import { buildServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/observability/logger.js';
import { mintToken } from '../../src/security/token-minter.js';
import { ROOT, startChild } from '../support/child.js';
import { createTestEnvironment, dialects, mariadbUrl, type TestEnvironment } from '../support/databases.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const SECRET = 'health-test-secret-of-at-least-32-bytes';
/** A configured service has its archive key: without one, health is DOWN (test/security/archive-keys-at-start.test.ts). */
const ARCHIVE_KEYS = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
const adminHeaders = async (env: TestEnvironment) => ({
  authorization: `Bearer ${await mintToken(env.config.jwt, { subject: 'ops', roles: ['ROLE_ADMIN'], ttl: '1h' })}`,
});

interface Service {
  readonly env: TestEnvironment;
  readonly app: App;
  readonly address: string;
  readonly headers: Record<string, string>;
}

/** The service's app behind its HTTP server on fresh databases; closed after each test. */
function serviceFixture(): (dialect: Dialect, extraEnv?: Env) => Promise<Service> {
  let opened: { env: TestEnvironment; app?: App; server?: FastifyInstance } | undefined;
  afterEach(async () => {
    await opened?.server?.close();
    await opened?.app?.close();
    await opened?.env.cleanup();
    opened = undefined;
  });
  return async (dialect, extraEnv = {}) => {
    opened = { env: await createTestEnvironment(dialect, { JWT_SECRET: SECRET, ARCHIVE_KEYS, ...extraEnv }) };
    const app = (opened.app = await createApp(opened.env.config, silentLogger));
    const server = (opened.server = await buildServer(app));
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    return { env: opened.env, app, address, headers: await adminHeaders(opened.env) };
  };
}

interface HealthBody {
  status: string;
  components: Record<string, { status: string; details: { latencyMs?: number; error?: string; threshold?: number } }>;
}

describe.each(dialects)('GET /actuator/health (%s)', (dialect) => {
  const start = serviceFixture();

  it('is UP with a component per database, disk, mail and broker, and DOWN naming the database that stops answering', async () => {
    const { app, address, headers } = await start(dialect);
    const up = await fetch(`${address}/actuator/health`, { headers });
    expect(up.status).toBe(200);
    const body = (await up.json()) as HealthBody;
    expect(body.status).toBe('UP');
    expect(Object.keys(body.components).sort()).toEqual(
      ['archiveKeys', 'batchDb', 'defenseDb', 'diskSpace', 'eventBroker', 'inscriptionDb', 'mail', 'notificationDb', 'sessionKill', 'userDb'],
    );
    // The test account can end only its own connections (issue 23, item 5): health says so, UP.
    expect(body.components.sessionKill?.details).toEqual(
      dialect === 'mysql' ? { endsConnectionsOf: 'its own account only', note: expect.stringMatching(/CONNECTION ADMIN/) } : { applies: false },
    );
    expect(body.components.userDb?.details.latencyMs).toBeGreaterThanOrEqual(0);
    expect((await fetch(`${address}/actuator/health/readiness`)).status).toBe(200);

    await app.databases.defense.close();
    const down = await fetch(`${address}/actuator/health`, { headers });
    expect(down.status).toBe(503);
    const downBody = (await down.json()) as HealthBody;
    expect(downBody.status).toBe('DOWN');
    expect(downBody.components.defenseDb?.status).toBe('DOWN');
    expect(downBody.components.userDb?.status).toBe('UP');
    // A sibling database is not needed to take work: the probes stay UP.
    expect((await fetch(`${address}/actuator/health/readiness`)).status).toBe(200);
    expect((await fetch(`${address}/actuator/health/liveness`)).status).toBe(200);

    await app.databases.batch.close();
    const notReady = await fetch(`${address}/actuator/health/readiness`, { headers });
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as HealthBody).components.batchDb?.status).toBe('DOWN');
    expect((await fetch(`${address}/actuator/health/liveness`)).status).toBe(200);
  });
});

describe('health indicators', () => {
  const start = serviceFixture();

  it('reports diskSpace DOWN under the threshold, takes added indicators, and times a hanging one out', async () => {
    const { env, app, address, headers } = await start('sqlite', { HEALTH_DISK_MIN_FREE_MB: String(1024 * 1024 * 1024), HEALTH_TIMEOUT_MS: '200' });
    const disk = (await (await fetch(`${address}/actuator/health`, { headers })).json()) as HealthBody;
    expect(disk.status).toBe('DOWN');
    expect(disk.components.diskSpace?.status).toBe('DOWN');
    expect(disk.components.diskSpace?.details.error).toContain(env.dataDir);
    expect(disk.components.batchDb?.status).toBe('UP');

    app.health.register({ name: 'mail', check: () => new Promise(() => undefined) });
    app.health.register({ name: 'eventBroker', check: async () => ({ status: 'UP', details: { mode: 'test' } }) });
    const body = (await (await fetch(`${address}/actuator/health`, { headers })).json()) as HealthBody;
    expect(body.components.mail).toEqual({ status: 'DOWN', details: { error: 'no answer within 200 ms' } });
    expect(body.components.eventBroker).toEqual({ status: 'UP', details: { mode: 'test' } });
  });

  it('probes a configured SMTP server and Kafka broker and says which one does not answer', async () => {
    const { app } = await start('sqlite', { SMTP_URL: 'smtp://user:hunter2@127.0.0.1:1', KAFKA_BROKERS: '127.0.0.1:1', HEALTH_TIMEOUT_MS: '2000' });
    const health = await app.health.check();
    expect(health.components.mail?.status).toBe('DOWN');
    expect(health.components.mail?.details).toMatchObject({ transport: 'smtp', server: '127.0.0.1:1' });
    expect(JSON.stringify(health)).not.toContain('hunter2');
    expect(health.components.eventBroker?.status).toBe('DOWN');
    expect(health.components.eventBroker?.details).toMatchObject({ mode: 'kafka', brokers: ['127.0.0.1:1'] });
  });
});

describe.each(dialects)('health shows details to admins only (%s)', (dialect) => {
  const start = serviceFixture();

  it('anonymous and non-admin callers get each status without details; an admin gets paths, URLs and sizes', async () => {
    const { env, address, headers } = await start(dialect);
    const user = `Bearer ${await mintToken(env.config.jwt, { subject: 'bob', roles: ['ROLE_DOCTORANT'], ttl: '1h' })}`;
    for (const caller of [{}, { authorization: user }, { authorization: 'Bearer not-a-token' }] as Record<string, string>[]) {
      for (const route of ['/actuator/health', '/actuator/health/readiness']) {
        const response = await fetch(`${address}${route}`, { headers: caller });
        expect(response.status).toBe(200);
        const text = await response.text();
        const body = JSON.parse(text) as HealthBody;
        expect(body.status).toBe('UP');
        for (const component of Object.values(body.components)) expect(component).toEqual({ status: 'UP' });
        expect(text).not.toContain(env.dataDir);
      }
    }
    const admin = (await (await fetch(`${address}/actuator/health`, { headers })).json()) as HealthBody;
    expect(admin.components.batchDb?.details).toMatchObject({ probe: 'write' });
    expect(JSON.stringify(admin.components.diskSpace?.details)).toContain(env.dataDir);
  });
});

describe('health follows batchdb\'s storage and recovers without a restart', () => {
  const start = serviceFixture();

  it('a data directory moved away is DOWN naming it and the file; moved back, UP again', async () => {
    const { env, address, headers } = await start('sqlite');
    const health = async () => {
      const response = await fetch(`${address}/actuator/health`, { headers });
      return { code: response.status, body: (await response.json()) as HealthBody };
    };
    expect((await health()).code).toBe(200);
    const launch = () => fetch(`${address}/api/batch/jobs/tokenCleanupJob/run`, { method: 'POST', headers });
    renameSync(env.dataDir, `${env.dataDir}.moved`);
    try {
      const { code, body } = await health();
      expect(code).toBe(503);
      expect(body.components.batchDb?.details.error).toMatch(new RegExp(`batchdb's file .*batchdb.*is gone`));
      expect(body.components.diskSpace?.details.error).toContain(`DATA_DIR ${env.dataDir}`);
      expect((await fetch(`${address}/actuator/health/readiness`)).status).toBe(503);
      // A launch now would only fail a minute later, with a failure mail: refused at once, to be retried.
      const refused = await launch();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('30');
      expect(((await refused.json()) as { detail: string }).detail).toMatch(/diskSpace is DOWN: no longer exists .*DATA_DIR.*; nothing was launched, retry once it is back/);
    } finally {
      renameSync(`${env.dataDir}.moved`, env.dataDir);
    }
    expect((await health()).code).toBe(200);
    expect((await launch()).status).toBe(202);
  });

  it('a launch while only an upload directory is gone is refused too, naming it; nothing is recorded', async () => {
    const uploads = mkdtempSync(path.join(tmpdir(), 'batch-uploads-'));
    const { env, address, headers } = await start('sqlite', { UPLOADS_DIR: uploads });
    const instances = async () => (await env.databases.batch.db.selectFrom('batch_job_instance').select('id').execute()).length;
    const before = await instances();
    renameSync(env.config.uploadsDir, `${env.config.uploadsDir}.moved`);
    try {
      const refused = await fetch(`${address}/api/batch/jobs/dataConsistencyJob/run`, { method: 'POST', headers });
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { detail: string }).detail).toContain(`UPLOADS_DIR ${env.config.uploadsDir}`);
      expect(await instances()).toBe(before);
    } finally {
      renameSync(`${env.config.uploadsDir}.moved`, env.config.uploadsDir);
      rmSync(uploads, { recursive: true, force: true });
    }
  });

  // Root, the tests' user, writes any file: the service runs as nobody, as it would in a container.
  it('a read-only batchdb: health DOWN naming it, launches 503 naming it, and both recover once it is writable', async () => {
    const env = await createTestEnvironment('sqlite', { JWT_SECRET: SECRET, ARCHIVE_KEYS });
    await env.databases.batch.close();
    const nobody = 65534;
    for (const entry of ['', ...readdirSync(env.dataDir, { recursive: true }).map(String)]) chownSync(path.join(env.dataDir, entry), nobody, nobody);
    const batchFile = env.config.databases.batch.slice('sqlite:'.length);
    chmodSync(batchFile, 0o444);
    const serve = startChild([path.join(ROOT, 'dist/cli.js'), 'serve'], { ...env.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }, { uid: nobody });
    try {
      const [, port] = await serve.waitForLine(/listening on port (\d+)/);
      const base = `http://127.0.0.1:${port}`;
      const headers = await adminHeaders(env);
      const health = await fetch(`${base}/actuator/health`, { headers });
      expect(health.status).toBe(503);
      const body = (await health.json()) as HealthBody;
      expect(body.components.batchDb?.status).toBe('DOWN');
      expect(body.components.batchDb?.details.error).toMatch(/batchdb refuses writes: SQLITE_READONLY/);
      expect((await fetch(`${base}/actuator/health/readiness`)).status).toBe(503);

      const launch = () => fetch(`${base}/api/batch/jobs/tokenCleanupJob/run`, { method: 'POST', headers });
      const refused = await launch();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await refused.json()) as { detail: string }).detail).toMatch(/^batchdb is unavailable \(SQLITE_READONLY/);

      chmodSync(batchFile, 0o644);
      let recovered = 0;
      let last = '';
      for (let attempt = 0; attempt < 20 && recovered !== 200; attempt++) {
        const response = await fetch(`${base}/actuator/health`, { headers });
        recovered = response.status;
        last = await response.text();
      }
      expect(recovered, last).toBe(200);
      expect((await launch()).status).toBe(202);
    } finally {
      serve.process.kill('SIGTERM');
      await serve.exited;
      await env.cleanup();
    }
  }, 60_000);
});

describe.skipIf(!mariadbUrl)('a MariaDB outage (mysql)', () => {
  const start = serviceFixture();

  it('health DOWN and launches 503 naming batchdb while the server is unreachable; both recover when it is back', async () => {
    const target = new URL(mariadbUrl!);
    const proxy = await startTcpProxy(Number(target.port), target.hostname);
    const env = await createTestEnvironment('mysql');
    try {
      // Every database of the test goes through the proxy, as through a network that fails.
      const through = (url: string | undefined) => url!.replace(`${target.hostname}:${target.port}`, `127.0.0.1:${proxy.port}`);
      const variables = Object.fromEntries(['BATCH_DB_URL', 'USER_DB_URL', 'INSCRIPTION_DB_URL', 'DEFENSE_DB_URL', 'NOTIFICATION_DB_URL'].map((name) => [name, through(env.env[name])]));
      const { address, headers } = await start('sqlite', { ...variables, DB_CONNECT_TIMEOUT_MS: '1000' });
      const launch = () => fetch(`${address}/api/batch/jobs/tokenCleanupJob/run`, { method: 'POST', headers });
      expect((await fetch(`${address}/actuator/health`, { headers })).status).toBe(200);

      await proxy.cut();
      const health = await fetch(`${address}/actuator/health`, { headers });
      expect(health.status).toBe(503);
      expect(((await health.json()) as HealthBody).components.batchDb?.status).toBe('DOWN');
      const refused = await launch();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await refused.json()) as { detail: string }).detail).toMatch(/^batchdb is unavailable \((ECONNREFUSED|PROTOCOL_CONNECTION_LOST|ECONNRESET)/);

      await proxy.resume();
      let status = 0;
      for (let attempt = 0; attempt < 20 && status !== 200; attempt++) status = (await fetch(`${address}/actuator/health`, { headers })).status;
      expect(status).toBe(200);
      expect((await launch()).status).toBe(202);
    } finally {
      await proxy.close();
      await env.cleanup();
    }
  }, 60_000);
});
