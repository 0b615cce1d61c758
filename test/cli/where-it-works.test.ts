/**
 * Issue 16.3: every command that uses the databases says on stderr, in one line, which
 * data it works on; the commands that read or act on recorded executions never create a
 * database — run from the wrong folder, they refuse (exit 2) and leave the folder as it was.
 */
import { mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/child.js';
import { mariadbUrl } from '../support/databases.js';

const REFUSED_WITHOUT_BATCHDB: readonly (readonly string[])[] = [
  ['executions', 'tokenCleanupJob'],
  ['events'],
  ['audit', 'verify'],
  ['anomalies'],
  ['archive', 'list'],
  ['report', 'resend', '--month', '2026-10'],
  ['stop', '1'],
  ['restart', '1'],
];

describe('batch-service run from a folder without data (embedded default)', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = realpathSync(mkdtempSync(path.join(tmpdir(), 'batch-elsewhere-')));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it.each(REFUSED_WITHOUT_BATCHDB)('%s … names ./data, refuses with exit 2 and creates nothing', async (...args) => {
    const dataDir = path.join(cwd, 'data');
    const result = await runCli(args, {}, cwd);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe(
      `batch-service: data directory ${dataDir} (embedded SQLite)\n` +
        `batch-service: no batch database at ${dataDir}/batchdb.sqlite; run \`batch-service migrate\` or set BATCH_DB_URL\n`,
    );
    expect(result.stdout).toBe('');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('run refuses (exit 2) where the embedded default has no data at all, and creates nothing', async () => {
    const dataDir = path.join(cwd, 'data');
    const result = await runCli(['run', 'tokenCleanupJob'], {}, cwd);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe(
      `batch-service: data directory ${dataDir} (embedded SQLite)\n` +
        `batch-service: no data in ${dataDir}; for the embedded default run \`batch-service demo-data\` there first, or set DATA_DIR or the *_DB_URL variables\n`,
    );
    expect(readdirSync(cwd)).toEqual([]);
    // An unknown job is still named as such first.
    const unknown = await runCli(['run', 'noSuchJob'], {}, cwd);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown job "noSuchJob"/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('once migrated there, executions answers, with the one line on stderr', async () => {
    const line = `batch-service: data directory ${path.join(cwd, 'data')} (embedded SQLite)\n`;
    const migrated = await runCli(['migrate'], {}, cwd);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stderr).toBe(line);
    const listed = await runCli(['executions', 'tokenCleanupJob'], {}, cwd);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toBe(line);
    expect(listed.stdout).toMatch(/^0 execution\(s\)$/m);
  });

  it('lists each database when they are not the embedded default', async () => {
    const result = await runCli(['executions', 'tokenCleanupJob'], { USER_DB_URL: 'sqlite:elsewhere/users.sqlite' }, cwd);
    expect(result.code).toBe(2);
    const dataDir = path.join(cwd, 'data');
    expect(result.stderr.split('\n')[0]).toBe(
      `batch-service: data directory ${dataDir}; databases batch=sqlite:${dataDir}/batchdb.sqlite, user=sqlite:${cwd}/elsewhere/users.sqlite, ` +
        `inscription=sqlite:${dataDir}/inscriptiondb.sqlite, defense=sqlite:${dataDir}/defensedb.sqlite, notification=sqlite:${dataDir}/notificationdb.sqlite`,
    );
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe.skipIf(!mariadbUrl)('batch-service with BATCH_DB_URL on MariaDB without a batch database (mysql)', () => {
  const server = new URL(mariadbUrl ?? 'mysql://unused');
  const url = (database: string) => new URL(database, mariadbUrl!.endsWith('/') ? mariadbUrl : `${mariadbUrl}/`).toString();
  const masked = (database: string) => url(database).replace(`:${server.password}@`, ':****@');
  const empty = `bt_${randomBytes(4).toString('hex')}_empty`;
  let dataDir: string;
  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'batch-elsewhere-'));
    const admin = await createConnection(mariadbUrl!);
    await admin.query(`CREATE DATABASE \`${empty}\``).finally(() => admin.end());
  });
  afterEach(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    const admin = await createConnection(mariadbUrl!);
    await admin.query(`DROP DATABASE IF EXISTS \`${empty}\``).finally(() => admin.end());
  });

  it.each([
    ['an empty database', empty],
    ['a database that does not exist', `bt_${randomBytes(4).toString('hex')}_none`],
  ])('%s: exit 2, the URL with its password masked, and no table created', async (_, database) => {
    expect(server.password.length).toBeGreaterThan(0);
    const result = await runCli(['executions', 'tokenCleanupJob'], { DATA_DIR: dataDir, BATCH_DB_URL: url(database), BATCH_TIMEZONE: 'UTC' });
    expect(result.code, result.stderr).toBe(2);
    const [where, refusal, ...rest] = result.stderr.trimEnd().split('\n');
    expect(where).toMatch(new RegExp(`^batch-service: data directory ${dataDir}; databases batch=${escape(masked(database))}, user=sqlite:`));
    expect(refusal).toBe(`batch-service: no batch database at ${masked(database)}; run \`batch-service migrate\` or set BATCH_DB_URL`);
    expect(rest).toEqual([]);
    expect(result.stderr).not.toContain(server.password);
    const admin = await createConnection(mariadbUrl!);
    try {
      const [tables] = await admin.query('SELECT table_name FROM information_schema.tables WHERE table_schema = ?', [database]);
      expect(tables).toEqual([]);
    } finally {
      await admin.end();
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
