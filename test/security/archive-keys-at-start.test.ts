/**
 * Archive keys are checked when the service starts, not at archiveJob's quarterly run: a
 * malformed value stops every command with exit 2 naming the variable; no key at all
 * keeps the service up, with health's archiveKeys DOWN and the console told why
 * archiveJob cannot run; the embedded default makes its own key.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { loadArchiveKeys } from '../../src/archives/archive-keys.js';
import { withEmbeddedArchiveKey } from '../../src/lifecycle/first-start.js';
import { startApi, type Api } from '../http/api-harness.js';
import { runCli } from '../support/child.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

const KEY = `k1:${randomBytes(32).toString('base64')}`;

describe('a malformed archive key stops every command at start', () => {
  let dataDir: string | undefined;
  afterEach(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([['serve'], ['executions', 'tokenCleanupJob'], ['run', 'tokenCleanupJob'], ['archive', 'list']])('batch-service %s exits 2 naming ARCHIVE_KEYS', async (...args) => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'keys-at-start-'));
    const result = await runCli(args, { DATA_DIR: dataDir, ARCHIVE_KEYS: 'k1:abcd', DEMO_DATA: 'never' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ARCHIVE_KEYS=\*\*\*\*: an entry is not keyId:base64 of 32 bytes/);
    expect(result.stderr).not.toContain('abcd');
    // Refused before anything was made: no database, no log.
    expect(existsSync(path.join(dataDir, 'batchdb.sqlite'))).toBe(false);
  }, 30_000);
});

describe.each(dialects)('without any archive key the service stays up and says archiveJob cannot run (%s)', (dialect) => {
  let env: TestEnvironment | undefined;
  let app: App | undefined;
  let api: Api | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
    await api?.close();
    app = env = api = undefined;
  });

  it('health shows archiveKeys DOWN without a key and UP with one, naming the key id and never the key', async () => {
    env = await createTestEnvironment(dialect);
    app = await createApp(env.config, silentLogger);
    const without = await app.health.check();
    expect(without.status).toBe('DOWN');
    expect(without.components.archiveKeys).toEqual({
      status: 'DOWN',
      details: { source: 'none', error: expect.stringMatching(/no archive key configured; set ARCHIVE_KEYS or ARCHIVE_KEY_FILE; archiveJob cannot run/) },
    });
    await app.close();
    app = await createApp(loadConfig({ ...env.env, ARCHIVE_KEYS: KEY }), silentLogger);
    const withKey = await app.health.check();
    expect(withKey.components.archiveKeys).toEqual({ status: 'UP', details: { source: 'ARCHIVE_KEYS', currentKeyId: 'k1', keys: 1 } });
    expect(JSON.stringify(withKey)).not.toContain(KEY.slice(3, 20));
  });

  it('the job list tells the console why archiveJob cannot run, and only for archiveJob', async () => {
    api = await startApi(dialect);
    const jobs = (await (await api.call('/api/batch/jobs')).json()) as { name: string; unavailable: string | null }[];
    const unavailable = Object.fromEntries(jobs.map((j) => [j.name, j.unavailable]));
    expect(unavailable.archiveJob).toMatch(/no archive key configured/);
    expect(Object.entries(unavailable).filter(([name, why]) => name !== 'archiveJob' && why !== null)).toEqual([]);
    await api.close();
    api = await startApi(dialect, { env: { ARCHIVE_KEYS: KEY } });
    const withKey = (await (await api.call('/api/batch/jobs')).json()) as { name: string; unavailable: string | null }[];
    expect(withKey.map((j) => j.unavailable)).toEqual(withKey.map(() => null));
  });
});

describe('the embedded default makes its own archive key', () => {
  let dataDir: string;
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serve creates DATA_DIR/archive-keys (0600) once; other commands only read it; never with a production setting', () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'embedded-key-'));
    const file = path.join(dataDir, 'archive-keys');
    const read = withEmbeddedArchiveKey(loadConfig({ DATA_DIR: dataDir }), { create: false });
    expect(read.config.archiveKeyFile).toBeUndefined();
    expect(existsSync(file)).toBe(false);

    const made = withEmbeddedArchiveKey(loadConfig({ DATA_DIR: dataDir }), { create: true });
    expect(made.created).toBe(true);
    expect(made.config.archiveKeyFile).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = loadArchiveKeys(made.config).current;
    const again = withEmbeddedArchiveKey(loadConfig({ DATA_DIR: dataDir }), { create: true });
    expect(again.created).toBe(false);
    expect(loadArchiveKeys(again.config).current.key.equals(key.key)).toBe(true);

    for (const production of [{ JWT_SECRET: 'a-production-secret-of-at-least-32-bytes' }, { ARCHIVE_KEYS: KEY }]) {
      const other = mkdtempSync(path.join(tmpdir(), 'embedded-key-'));
      try {
        const untouched = withEmbeddedArchiveKey(loadConfig({ DATA_DIR: other, ...production }), { create: true });
        expect(untouched.config.archiveKeyFile).toBeUndefined();
        expect(existsSync(path.join(other, 'archive-keys'))).toBe(false);
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    }
  });
});
