/** `batch-service audit verify` and `batch-service token`, built, as an operator runs them. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { AuditLog } from '../../src/security/audit-log.js';
import { withEmbeddedSecret } from '../../src/lifecycle/first-start.js';
import { createTokenVerifier } from '../../src/security/token-verifier.js';
import { runCli } from '../support/child.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

const SECRET = 'cli-secret-of-at-least-thirty-two-bytes!!';

describe.each(dialects)('batch-service audit verify (%s)', (dialect) => {
  let env: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('exits 0 on an intact chain and 1 naming the first entry edited with the triggers dropped', async () => {
    env = await createTestEnvironment(dialect);
    const audit = new AuditLog(env.databases.batch.db);
    const ids: number[] = [];
    for (const actor of ['alice', 'bob', 'carol', 'dave']) ids.push((await audit.append({ action: 'JOB_RUN', actor, details: { n: ids.length } })).id);

    const intact = await runCli(['audit', 'verify'], env.env);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/audit log intact: 4 entries/);

    const db = env.databases.batch.db;
    await sql`DROP TRIGGER audit_log_no_update`.execute(db);
    await db.updateTable('audit_log').set({ details: '{"n":99}' }).where('id', '=', ids[1]!).execute();
    const broken = await runCli(['audit', 'verify'], env.env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`audit log BROKEN at entry ${ids[1]}: entry ${ids[1]} was altered`);
  });
});

describe('batch-service token', () => {
  it('mints an HS256 token the service accepts, with the subject, roles and lifetime asked for', async () => {
    const env = { DATA_DIR: '/nonexistent-data-dir-unused', JWT_SECRET: SECRET, JWT_ISSUER: 'gateway' };
    const minted = await runCli(['token', '--sub', 'alice', '--role', 'ROLE_ADMIN', '--role', 'ROLE_USER', '--ttl', '2h'], env);
    expect(minted.stderr).toBe('batch-service: data directory /nonexistent-data-dir-unused; signed with JWT_SECRET\n');
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    const principal = await createTokenVerifier(loadConfig(env).jwt).verify(token);
    expect(principal).toEqual({ subject: 'alice', roles: ['ROLE_ADMIN', 'ROLE_USER'] });
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number; iat: number; iss: string };
    expect(payload.exp - payload.iat).toBe(7200);
    expect(payload.iss).toBe('gateway');
  });

  it('says JWT_SECRET is missing, or the lifetime is wrong, and exits 2', async () => {
    // Outside the embedded default (a MariaDB URL: production) nothing generates a secret.
    const unset = await runCli(['token', '--sub', 'alice', '--role', 'ROLE_ADMIN'], { DATA_DIR: '/nonexistent-data-dir-unused', BATCH_DB_URL: 'mysql://batch:x@127.0.0.1:1/batchdb', BATCH_TIMEZONE: 'UTC' });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(/JWT_SECRET is not set/);
    const badTtl = await runCli(['token', '--sub', 'alice', '--ttl', 'forever'], { DATA_DIR: '/nonexistent-data-dir-unused', JWT_SECRET: SECRET });
    expect(badTtl.code).toBe(2);
    expect(badTtl.stderr).toMatch(/--ttl "forever": expected a duration/);
  });

  it('on the embedded default, says which data directory and secret it used, and makes a secret only where asked', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'token-cwd-'));
    try {
      // Run from a folder where the service never ran: refused, and nothing left behind.
      const astray = await runCli(['token', '--sub', 'ops', '--role', 'ROLE_ADMIN'], {}, cwd);
      expect(astray.code).toBe(2);
      expect(astray.stderr).toMatch(/no data directory at .*token-cwd-.*\/data, so no secret the service would verify this token with; .*--init/);
      expect(astray.stdout).toBe('');
      expect(readdirSync(cwd)).toEqual([]);

      const init = await runCli(['token', '--sub', 'ops', '--role', 'ROLE_ADMIN', '--init'], {}, cwd);
      expect(init.code).toBe(0);
      const file = path.join(cwd, 'data', 'jwt-secret');
      expect(init.stderr).toBe(`batch-service: data directory ${path.join(cwd, 'data')}; signed with a new secret just created in ${file}\n`);
      const secretFile = { DATA_DIR: path.join(cwd, 'data') };
      const verifier = createTokenVerifier(withEmbeddedSecret(loadConfig(secretFile)).config.jwt);
      expect(await verifier.verify(init.stdout.trim())).toEqual({ subject: 'ops', roles: ['ROLE_ADMIN'] });

      const again = await runCli(['token', '--sub', 'ops', '--role', 'ROLE_ADMIN'], {}, cwd);
      expect(again.code).toBe(0);
      expect(again.stderr).toBe(`batch-service: data directory ${path.join(cwd, 'data')}; signed with the secret in ${file}\n`);
      expect(await verifier.verify(again.stdout.trim())).toEqual({ subject: 'ops', roles: ['ROLE_ADMIN'] });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
