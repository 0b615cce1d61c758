/**
 * Real databases for tests, isolated per test: a fresh temporary folder of SQLite files,
 * and, when MARIADB_TEST_URL is set (CI sets it), five fresh MariaDB databases.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { loadConfig, type Config, type Env } from '../../src/config.js';
import type { Dialect } from '../../src/db/connect.js';
import { closeDatabases, createSiblingTables, migrate, openDatabases, type Databases } from '../../src/db/databases.js';

/** URL of a MariaDB server and a user allowed to create and drop `bt_%` databases. */
export const mariadbUrl = process.env.MARIADB_TEST_URL;

/** Every dialect the suite runs database tests on here. */
export const dialects: readonly Dialect[] = mariadbUrl ? ['sqlite', 'mysql'] : ['sqlite'];

export interface TestEnvironment {
  readonly dialect: Dialect;
  readonly dataDir: string;
  /** The variables that point a process (CLI, child) at these databases. */
  readonly env: Env;
  readonly config: Config;
  readonly databases: Databases;
  cleanup(): Promise<void>;
}

const DB_NAMES = ['batch', 'user', 'inscription', 'defense', 'notification'] as const;
const ENV_NAMES = {
  batch: 'BATCH_DB_URL',
  user: 'USER_DB_URL',
  inscription: 'INSCRIPTION_DB_URL',
  defense: 'DEFENSE_DB_URL',
  notification: 'NOTIFICATION_DB_URL',
} as const;

/**
 * Creates five empty databases of the dialect, migrates batchdb and creates the sibling
 * tables. `extraEnv` adds or overrides settings.
 */
export async function createTestEnvironment(dialect: Dialect, extraEnv: Env = {}): Promise<TestEnvironment> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'batch-test-'));
  const env: Record<string, string | undefined> = {
    DATA_DIR: dataDir,
    SCHEDULER_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    DEMO_DATA: 'never',
    // Required with MariaDB; UTC keeps every test's dates independent of the machine's zone.
    BATCH_TIMEZONE: 'UTC',
  };
  const dropMysql: string[] = [];
  if (dialect === 'mysql') {
    if (!mariadbUrl) throw new Error('MARIADB_TEST_URL is not set');
    const prefix = `bt_${randomBytes(4).toString('hex')}`;
    const admin = await createConnection(mariadbUrl);
    try {
      for (const name of DB_NAMES) {
        await admin.query(`CREATE DATABASE \`${prefix}_${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
        dropMysql.push(`${prefix}_${name}`);
        env[ENV_NAMES[name]] = new URL(`${prefix}_${name}`, mariadbUrl.endsWith('/') ? mariadbUrl : `${mariadbUrl}/`).toString();
      }
    } finally {
      await admin.end();
    }
  }
  Object.assign(env, extraEnv);
  const config = loadConfig(env);
  const databases = openDatabases(config);
  await migrate(databases);
  await createSiblingTables(databases);
  return {
    dialect,
    dataDir,
    env,
    config,
    databases,
    async cleanup() {
      await closeDatabases(databases);
      if (dropMysql.length > 0 && mariadbUrl) {
        const admin = await createConnection(mariadbUrl);
        try {
          for (const name of dropMysql) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
        } finally {
          await admin.end();
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
