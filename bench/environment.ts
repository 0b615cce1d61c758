/**
 * Databases for a benchmark — SQLite files in a temporary folder, or MariaDB databases
 * `bt_bench_*` — and data generation in a child process, so that the memory the
 * generator used never shows in the measured process's RSS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createConnection } from 'mysql2/promise';
import { loadConfig } from '../src/config.js';
import { closeDatabases, createSiblingTables, migrate, openDatabases, type Databases } from '../src/db/databases.js';
import { JobOperator } from '../src/engine/job-operator.js';
import { JobRepository } from '../src/engine/job-repository.js';
import type { JobDefinition, JsonObject } from '../src/engine/types.js';
import { executionHistoryListener } from '../src/history/execution-history.js';
import { silentLogger } from '../src/observability/logger.js';

export interface BenchEnvironment {
  readonly engine: string;
  /** The SQLite folder, or the MariaDB server URL: enough for a child to open the same databases. */
  readonly location: string;
  readonly databases: Databases;
  cleanup(): Promise<void>;
}

const NAMES = ['batch', 'user', 'inscription', 'defense', 'notification'].map((n) => `bt_bench_${n}`);

function configFor(engine: string, location: string) {
  if (engine === 'sqlite') return loadConfig({ DATA_DIR: location });
  const url = (name: string) => new URL(name, location.endsWith('/') ? location : `${location}/`).toString();
  const [batch, user, inscription, defense, notification] = NAMES.map(url) as [string, string, string, string, string];
  return loadConfig({ BATCH_TIMEZONE: 'UTC', BATCH_DB_URL: batch, USER_DB_URL: user, INSCRIPTION_DB_URL: inscription, DEFENSE_DB_URL: defense, NOTIFICATION_DB_URL: notification });
}

/** Creates empty databases with batchdb migrated and the sibling tables. */
export async function benchEnvironment(engine: string): Promise<BenchEnvironment> {
  let location: string;
  let drop = async () => {};
  if (engine === 'sqlite') {
    location = mkdtempSync(path.join(tmpdir(), 'bench-'));
    drop = async () => rmSync(location, { recursive: true, force: true });
  } else {
    const server = process.env.MARIADB_TEST_URL;
    if (!server) throw new Error('a MariaDB benchmark needs MARIADB_TEST_URL (a user allowed to create bt_% databases)');
    location = server;
    const admin = await createConnection(server);
    for (const name of NAMES) {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    }
    drop = async () => {
      for (const name of NAMES) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    };
  }
  const databases = openDatabases(configFor(engine, location));
  await migrate(databases);
  await createSiblingTables(databases);
  return { engine, location, databases, cleanup: async () => (await closeDatabases(databases), await drop()) };
}

/** Opens the databases of an environment made by another process. */
export function openBenchDatabases(engine: string, location: string): Databases {
  return openDatabases(configFor(engine, location));
}

/** Runs `script --generate …` in a child process against the environment's databases. */
export function generateInChild(script: string, env: BenchEnvironment, args: readonly string[]): void {
  // The same runtime flags as this process: compiled JavaScript, or TypeScript under tsx.
  const result = spawnSync(process.execPath, [...process.execArgv, script, '--generate', '--db', env.engine, '--location', env.location, ...args], {
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`data generation failed (${script}, exit ${result.status})`);
}

/** Runs work, then closes the databases whatever happened. */
export async function closeAfter<T>(databases: Databases, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    await closeDatabases(databases);
  }
}

/**
 * Runs a job to its end with the service's default engine settings and history listener,
 * as `serve` would; throws unless it COMPLETED. Returns its metrics.
 */
export async function runJobToCompletion(databases: Databases, job: JobDefinition, parameters: Record<string, string>): Promise<JsonObject> {
  const config = loadConfig({});
  const operator = new JobOperator(new JobRepository(databases.batch.db), [job], {
    heartbeatIntervalMs: config.engine.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.engine.heartbeatTimeoutMs,
    checkpointIntervalMs: config.engine.checkpointIntervalMs,
    logger: silentLogger,
    listeners: [executionHistoryListener(databases.batch.db)],
  });
  const execution = await (await operator.start(job.name, { parameters, trigger: 'CLI' })).done;
  if (execution.status !== 'COMPLETED') throw new Error(`${job.name} ended ${execution.status}: ${execution.exitMessage}`);
  return execution.metrics;
}

/**
 * Lets the database settle before a measurement, so a contender does not pay for the
 * previous one's work: on MariaDB, InnoDB's purge of the rows deleted and regenerated
 * (delete-marked rows slow every scan until purged); on SQLite, VACUUM, so each contender
 * finds its rows laid out as on a fresh file rather than scattered over the pages the
 * previous one freed, and a WAL checkpoint.
 */
export async function quiesce(env: BenchEnvironment): Promise<void> {
  if (env.engine === 'sqlite') {
    for (const handle of Object.values(env.databases)) {
      await sql`VACUUM`.execute(handle.db);
      await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(handle.db);
    }
    return;
  }
  const started = Date.now();
  for (;;) {
    const { rows } = await sql<{ count: number }>`SELECT count FROM information_schema.INNODB_METRICS WHERE name = 'trx_rseg_history_len'`.execute(env.databases.batch.db);
    const history = Number(rows[0]?.count ?? 0);
    if (history < 1000 || Date.now() - started > 300_000) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
