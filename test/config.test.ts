import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskUrl, settingDocs } from '../src/config.js';

describe('configuration', () => {
  it('puts every default path and SQLite file under DATA_DIR', () => {
    const config = loadConfig({ DATA_DIR: '/srv/batch' });
    expect(config.port).toBe(8085);
    expect(config.databases.batch).toBe(`sqlite:${path.join('/srv/batch', 'batchdb.sqlite')}`);
    expect(config.databases.notification).toBe(`sqlite:${path.join('/srv/batch', 'notificationdb.sqlite')}`);
    expect(config.uploadsDir).toBe('/srv/batch/uploads');
    expect(config.kafka.topic).toBe('notifications');
    expect(config.scheduler.enabled).toBe(true);
    expect(config.jobs.tokenCleanup).toEqual({ chunkSize: 100, cron: '0 0 2 * * ?', retentionDays: 400 });
    expect(config.jobs.dataConsistency.roleSyncRevoke).toBe(true);
    expect(loadConfig({ ROLE_SYNC_REVOKE: 'false' }).jobs.dataConsistency.roleSyncRevoke).toBe(false);
  });

  it('reports every bad variable at once, by name, with what is expected', () => {
    const attempt = () =>
      loadConfig({
        PORT: 'eighty',
        SCHEDULER_ENABLED: 'maybe',
        USER_DB_URL: 'postgres://x/y',
        TOKEN_CLEANUP_CRON: 'every night',
        BATCH_TIMEZONE: 'Mars/Olympus',
        ROLE_SYNC_REVOKE: 'sometimes',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/PORT="eighty": expected an integer/);
      expect(problems).toMatch(/SCHEDULER_ENABLED="maybe": expected true or false/);
      expect(problems).toMatch(/USER_DB_URL=.*expected sqlite:<path> or mysql:/);
      expect(problems).toMatch(/TOKEN_CLEANUP_CRON="every night": expected a Quartz-style cron/);
      expect(problems).toMatch(/BATCH_TIMEZONE="Mars\/Olympus"/);
      expect(problems).toMatch(/ROLE_SYNC_REVOKE="sometimes": expected true or false/);
    }
  });

  it('refuses heartbeat settings under which a live run could lose its lease between two heartbeats (issue 23, item 1)', () => {
    // Lease = 60000 - max(25000, 15000, 15000) = 35000 < interval 25000 + statement timeout 15000.
    expect(() => loadConfig({ BATCH_HEARTBEAT_INTERVAL_MS: '25000' })).toThrow(/BATCH_HEARTBEAT_TIMEOUT_MS=60000: a run's lease would last 35000 ms/);
    expect(loadConfig({ DB_STATEMENT_TIMEOUT_MS: '20000' }).pool.statementTimeoutMs).toBe(20_000);
  });

  it('BATCH_RETENTION_DAYS: whole days from 30 to 36500, 400 by default', () => {
    expect(loadConfig({}).jobs.tokenCleanup.retentionDays).toBe(400);
    expect(loadConfig({ BATCH_RETENTION_DAYS: '30' }).jobs.tokenCleanup.retentionDays).toBe(30);
    expect(loadConfig({ BATCH_RETENTION_DAYS: '36500' }).jobs.tokenCleanup.retentionDays).toBe(36_500);
    for (const bad of ['29', '0', '-5', '400.5', '1e3', 'a year', '36501']) {
      expect(() => loadConfig({ BATCH_RETENTION_DAYS: bad }), bad).toThrow(`BATCH_RETENTION_DAYS=${JSON.stringify(bad)}: expected an integer between 30 and 36500`);
    }
  });

  it('never prints a secret or a database password', () => {
    try {
      loadConfig({ JWT_SECRET: 'short-secret', BATCH_DB_URL: 'mysql://batch:hunter2@db/' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('short-secret');
      expect((error as Error).message).not.toContain('hunter2');
      expect((error as Error).message).toContain('JWT_SECRET=****');
    }
    expect(maskUrl('mysql://batch:hunter2@db:3306/batchdb')).toBe('mysql://batch:****@db:3306/batchdb');
  });

  it('accepts MariaDB URLs and documents every variable of the contract', () => {
    const config = loadConfig({ BATCH_DB_URL: 'mysql://u:p@127.0.0.1:3306/batchdb', BATCH_TIMEZONE: 'Europe/Paris' });
    expect(config.databases.batch).toBe('mysql://u:p@127.0.0.1:3306/batchdb');
    const names = settingDocs().map((d) => d.name);
    for (const name of ['PORT', 'DATA_DIR', 'BATCH_DB_URL', 'USER_DB_URL', 'INSCRIPTION_DB_URL', 'DEFENSE_DB_URL', 'NOTIFICATION_DB_URL',
      'UPLOADS_DIR', 'REPORTS_DIR', 'ARCHIVES_DIR', 'LOG_DIR', 'JWT_SECRET', 'JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE', 'ARCHIVE_KEYS',
      'ARCHIVE_KEY_FILE', 'KAFKA_BROKERS', 'KAFKA_TOPIC_NOTIFICATIONS', 'SMTP_URL', 'MAIL_FROM', 'TECH_ADMIN_EMAILS', 'EUREKA_URL',
      'BATCH_TIMEZONE', 'SCHEDULER_ENABLED']) {
      expect(names).toContain(name);
    }
  });
});

describe('checked at start, not months later', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('requires BATCH_TIMEZONE with any MariaDB database or NODE_ENV=production, and takes the system zone otherwise', () => {
    expect(problemsOf({ NOTIFICATION_DB_URL: 'mysql://u:p@db/notificationdb' })).toEqual([
      expect.stringMatching(/^BATCH_TIMEZONE is not set: required when a database is on MariaDB, e.g. BATCH_TIMEZONE=Europe\/Paris/),
    ]);
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^BATCH_TIMEZONE is not set: required when NODE_ENV=production/)]);
    expect(loadConfig({ NODE_ENV: 'production', BATCH_TIMEZONE: 'Europe/Paris' }).timeZone).toBe('Europe/Paris');
    expect(loadConfig({}).timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('refuses a malformed ARCHIVE_KEYS or an unsafe ARCHIVE_KEY_FILE, naming the variable and never the key', () => {
    const key = randomBytes(32).toString('base64');
    const [short] = problemsOf({ ARCHIVE_KEYS: 'k1:abcd' });
    expect(short).toMatch(/^ARCHIVE_KEYS=\*\*\*\*: an entry is not keyId:base64 of 32 bytes/);
    expect(problemsOf({ ARCHIVE_KEYS: `k1:${key}` })).toEqual([]);
    const dir = mkdtempSync(path.join(tmpdir(), 'config-keys-'));
    try {
      const file = path.join(dir, 'keys');
      writeFileSync(file, `k1:${key}\n`, { mode: 0o644 });
      expect(problemsOf({ ARCHIVE_KEY_FILE: file })).toEqual([expect.stringMatching(/^ARCHIVE_KEY_FILE=".*keys": mode 0644 lets others read/)]);
      chmodSync(file, 0o440);
      expect(problemsOf({ ARCHIVE_KEY_FILE: file })).toEqual([]);
      chmodSync(file, 0o600);
      writeFileSync(file, `k1:${key.slice(1)}\n`);
      const [bad] = problemsOf({ ARCHIVE_KEY_FILE: file });
      expect(bad).toMatch(/ARCHIVE_KEY_FILE=.*: an entry is not keyId:base64/);
      expect(bad).not.toContain(key.slice(1, 9));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README', () => {
  it('documents every setting', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    for (const { name } of settingDocs()) expect(readme).toContain(`| \`${name}\` |`);
  });
});
