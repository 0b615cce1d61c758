/**
 * The embedded default's way in (issue 14): DATA_DIR/jwt-secret made once, readable by
 * its owner only, and reused; the console link's token accepted by the service, before
 * and after a restart; an unsafe file refused; nothing of it with any JWT setting or a
 * MariaDB database.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Env } from '../../src/config.js';
import { claimSecretFile, consoleLink, EmbeddedSecretError, readSecretFile, withEmbeddedSecret } from '../../src/lifecycle/first-start.js';
import { createTokenVerifier } from '../../src/security/token-verifier.js';
import { runChild, startChild, type RunningChild } from '../support/child.js';

const LINK = /http:\/\/localhost:(\d+)\/admin\/#token=([\w-]+\.[\w-]+\.[\w-]+)/;

describe('embedded default secret and console link', () => {
  let dataDir: string;
  let file: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'batch-first-start-'));
    file = path.join(dataDir, 'jwt-secret');
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('first start creates DATA_DIR/jwt-secret with mode 0600; the next start reuses the same secret', () => {
    const first = withEmbeddedSecret(loadConfig({ DATA_DIR: dataDir }));
    expect(first.created).toBe(true);
    expect(first.config.jwt.secretFile).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.byteLength(first.config.jwt.secret!)).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.config.jwt.secret);

    const second = withEmbeddedSecret(loadConfig({ DATA_DIR: dataDir }));
    expect(second.created).toBe(false);
    expect(second.config.jwt.secret).toBe(first.config.jwt.secret);
    expect(readdirSync(dataDir)).toEqual(['jwt-secret']);
  });

  it('of two processes creating the file at once, the later one keeps the earlier secret', () => {
    // Both found no file; the race is then decided by who puts it in place first.
    expect(claimSecretFile(file, 'a'.repeat(43))).toBe(true);
    expect(claimSecretFile(file, 'b'.repeat(43))).toBe(false);
    expect(readSecretFile(file)).toBe('a'.repeat(43));
    expect(readdirSync(dataDir)).toEqual(['jwt-secret']);
  });

  it.each(['640', '604', '644'])('a secret file with mode %s is refused, naming the file', (mode) => {
    writeFileSync(file, `${'s'.repeat(43)}\n`, { mode: 0o600 });
    chmodSync(file, parseInt(mode, 8));
    const start = () => withEmbeddedSecret(loadConfig({ DATA_DIR: dataDir }));
    expect(start).toThrow(EmbeddedSecretError);
    expect(start).toThrow(`${file} (the embedded default's JWT secret) can be read by others (mode ${mode}); chmod 600 it`);
  });

  it('a secret file holding fewer than 32 bytes is refused', () => {
    writeFileSync(file, 'short\n', { mode: 0o600 });
    expect(() => withEmbeddedSecret(loadConfig({ DATA_DIR: dataDir }))).toThrow(/holds 5 bytes, fewer than the 32/);
  });

  it.each<[string, Env]>([
    ['JWT_SECRET', { JWT_SECRET: 'a-production-secret-of-at-least-32-bytes' }],
    ['JWT_JWKS_URL', { JWT_JWKS_URL: 'https://idp.example.org/jwks.json' }],
    ['JWT_ISSUER', { JWT_ISSUER: 'https://idp.example.org' }],
    ['a MariaDB database', { NOTIFICATION_DB_URL: 'mysql://u:p@db.example.org:3306/notificationdb', BATCH_TIMEZONE: 'Europe/Paris' }],
  ])('with %s: no secret file, no console link', async (_, env) => {
    const loaded = loadConfig({ DATA_DIR: dataDir, ...env });
    const { config, created } = withEmbeddedSecret(loaded);
    expect(config).toBe(loaded);
    expect(created).toBe(false);
    expect(config.jwt.secretFile).toBeUndefined();
    expect(await consoleLink(config)).toBeUndefined();
    expect(existsSync(file)).toBe(false);
  });

  it("the console link carries a 12-hour admin token in its fragment, verified by a restarted service's configuration", async () => {
    const { config } = withEmbeddedSecret(loadConfig({ DATA_DIR: dataDir }));
    const link = (await consoleLink(config))!;
    expect(link).toMatch(new RegExp(`^${LINK.source}$`));
    expect(link).toContain('http://localhost:8085/admin/#token=');
    const token = link.match(LINK)![2]!;
    const { iat, exp } = decodeJwt(token);
    expect(exp! - iat!).toBe(12 * 3600);

    const restarted = withEmbeddedSecret(loadConfig({ DATA_DIR: dataDir })).config;
    const principal = await createTokenVerifier(restarted.jwt).verify(token);
    expect(principal.subject).toBe('admin');
    expect(principal.roles).toContain('ROLE_ADMIN');
    await expect(createTokenVerifier({ ...restarted.jwt, secret: 'another-secret-of-at-least-32-bytes!!' }).verify(token)).rejects.toThrow(/signature/);
  });

  it('a JWT_MAX_TTL shorter than 12 hours shortens the link token, which the service would refuse otherwise', async () => {
    const { config } = withEmbeddedSecret(loadConfig({ DATA_DIR: dataDir, JWT_MAX_TTL: '1h' }));
    const token = (await consoleLink(config, { port: 9000 }))!.match(LINK)![2]!;
    const { iat, exp } = decodeJwt(token);
    expect(exp! - iat!).toBe(3600);
    await expect(createTokenVerifier(config.jwt).verify(token)).resolves.toMatchObject({ subject: 'admin' });
  });
});

describe('serve on the embedded default (real process)', () => {
  let dataDir: string;
  let children: RunningChild[] = [];
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'batch-first-start-serve-'));
  });
  afterEach(async () => {
    // A failed expectation must not leave a server behind.
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    children = [];
    rmSync(dataDir, { recursive: true, force: true });
  });
  const serve = (env: Env) => {
    const child = startChild(['src/cli.ts', 'serve'], env, { tsx: true });
    children.push(child);
    return child;
  };

  const serveEnv = (extra: Env = {}): Env => ({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    DEMO_DATA: 'never',
    SCHEDULER_ENABLED: 'false',
    LOG_FORMAT: 'json',
    ...extra,
  });
  const jobs = (port: string, token?: string) =>
    fetch(`http://127.0.0.1:${port}/api/batch/jobs`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('prints the console link once; its token opens the API, after a restart too, as does `batch-service token`', async () => {
    const first = serve(serveEnv());
    const [, port] = await first.waitForLine(/listening on port (\d+)/);
    const [, linkPort, token] = await first.waitForLine(LINK);
    expect(linkPort).toBe(port);
    expect((await jobs(port!)).status).toBe(401);
    expect((await jobs(port!, token)).status).toBe(200);
    first.process.kill('SIGTERM');
    const ended = await first.exited;
    expect(ended.code).toBe(0);
    expect(ended.stdout.match(new RegExp(LINK.source, 'g'))).toHaveLength(1);
    expect(ended.stdout).toMatch(/embedded default: API tokens are verified with the secret just generated in .*jwt-secret/);
    // The token is handed to the person at the console, not kept in the log files.
    const logs = readdirSync(path.join(dataDir, 'logs')).map((f) => readFileSync(path.join(dataDir, 'logs', f), 'utf8')).join('');
    expect(logs).toContain('listening on port');
    expect(logs).not.toContain(token);

    const minted = await runChild(['src/cli.ts', 'token', '--sub', 'ops', '--role', 'ROLE_ADMIN'], serveEnv(), { tsx: true });
    expect(minted.code).toBe(0);
    const second = serve(serveEnv());
    const [, secondPort] = await second.waitForLine(/listening on port (\d+)/);
    await second.waitForLine(LINK);
    expect((await jobs(secondPort!, token)).status).toBe(200);
    expect((await jobs(secondPort!, minted.stdout.trim())).status).toBe(200);
    second.process.kill('SIGTERM');
    const { stdout } = await second.exited;
    expect(stdout).toMatch(/secret kept in .*jwt-secret/);
  }, 120_000);

  it('with JWT_SECRET set, serve creates no secret file and prints no link', async () => {
    const production = serve(serveEnv({ JWT_SECRET: 'a-production-secret-of-at-least-32-bytes' }));
    await production.waitForLine(/ready at http:\/\/localhost:\d+/);
    production.process.kill('SIGTERM');
    const ended = await production.exited;
    expect(ended.code).toBe(0);
    expect(ended.stdout).not.toContain('#token=');
    // The secret's and the link's lines (a sibling database's hint may name the embedded default too).
    expect(ended.stdout).not.toMatch(/embedded default[:)]/);
    expect(existsSync(path.join(dataDir, 'jwt-secret'))).toBe(false);
  }, 60_000);

  it('refuses to start with a group-readable secret file, naming it', async () => {
    const file = path.join(dataDir, 'jwt-secret');
    writeFileSync(file, `${'s'.repeat(43)}\n`, { mode: 0o600 });
    chmodSync(file, 0o640);
    const ended = await runChild(['src/cli.ts', 'serve'], serveEnv(), { tsx: true });
    expect(ended.code).toBe(2);
    expect(ended.stderr).toContain(`batch-service: ${file} (the embedded default's JWT secret) can be read by others (mode 640); chmod 600 it`);
  }, 60_000);
});
