/**
 * Issue 16.4: `serve` checks the sibling databases against the contract at start. One off
 * the contract does not stop the service: it is logged once in plain words and health's
 * `contract` component is DOWN with what is missing (readiness stays UP); once the
 * database is fixed, the component is UP again without a restart.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSiblingTables } from '../../src/db/databases.js';
import { mintToken } from '../../src/security/token-minter.js';
import { ROOT, startChild } from '../support/child.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

const SECRET = 'contract-test-secret-of-at-least-32-bytes';

interface HealthBody {
  status: string;
  components: Record<string, { status: string; details?: { missing?: Record<string, { tables: string[] }>; error?: string } }>;
}

describe.each(dialects)('serve with a sibling database off the contract (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('starts, logs userdb once, and health shows contract DOWN naming refresh_tokens until the table is back', async () => {
    env = await createTestEnvironment(dialect, { JWT_SECRET: SECRET, ARCHIVE_KEYS: `k1:${Buffer.alloc(32, 3).toString('base64')}` });
    await env.databases.user.db.schema.dropTable('refresh_tokens').execute();
    const serve = startChild([path.join(ROOT, 'dist/cli.js'), 'serve'], { ...env.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    try {
      const [, port] = await serve.waitForLine(/listening on port (\d+)/);
      await serve.waitForLine(/userdb has no table refresh_tokens: is USER_DB_URL the user service's database\?/);
      await serve.waitForStderr(/^batch-service: data directory /);
      const base = `http://127.0.0.1:${port}`;
      const headers = { authorization: `Bearer ${await mintToken(env.config.jwt, { subject: 'ops', roles: ['ROLE_ADMIN'], ttl: '1h' })}` };

      const down = await fetch(`${base}/actuator/health`, { headers });
      expect(down.status).toBe(503);
      const body = (await down.json()) as HealthBody;
      expect(body.components.contract?.status).toBe('DOWN');
      expect(body.components.contract?.details?.missing).toEqual({ userdb: expect.objectContaining({ tables: ['refresh_tokens'] }) });
      expect(body.components.contract?.details?.error).toMatch(/^userdb has no table refresh_tokens: is USER_DB_URL/);
      expect(body.components.userDb?.status).toBe('UP');
      expect((await fetch(`${base}/actuator/health/readiness`)).status).toBe(200);

      await createSiblingTables(env.databases);
      const up = await fetch(`${base}/actuator/health`, { headers });
      const fixed = (await up.json()) as HealthBody;
      expect(fixed.components.contract?.status).toBe('UP');
      expect(up.status, JSON.stringify(fixed)).toBe(200);

      serve.process.kill('SIGTERM');
      const exited = await serve.exited;
      expect(exited.stdout.match(/userdb has no table refresh_tokens/g)).toHaveLength(1);
    } finally {
      serve.process.kill('SIGTERM');
      await serve.exited;
    }
  });
});
