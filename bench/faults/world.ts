/**
 * What a scenario runs against: five databases filled from one seeded template (SQLite
 * files copied, or MariaDB tables copied on the harness's own server), an uploads folder,
 * a mail server, the built CLI's processes, and plain SQL to read it all back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Connection } from 'mysql2/promise';
import { loadConfig, type Env } from '../../src/config.js';
import type { Dialect } from '../../src/db/connect.js';
import { closeDatabases, migrate, openDatabases } from '../../src/db/databases.js';
import { generateDemoData } from '../../src/db/fixtures/demo-data.js';
import type { OwnMariadb } from './mariadb.js';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const CLI = path.join(ROOT, 'dist/cli.js');

export const DB_NAMES = ['batch', 'user', 'inscription', 'defense', 'notification'] as const;
export type DbName = (typeof DB_NAMES)[number];
const ENV_NAMES: Record<DbName, string> = {
  batch: 'BATCH_DB_URL',
  user: 'USER_DB_URL',
  inscription: 'INSCRIPTION_DB_URL',
  defense: 'DEFENSE_DB_URL',
  notification: 'NOTIFICATION_DB_URL',
};

/** The demo data's reference instant: every job's `runAt`, so all runs see one world. */
export const REFERENCE = new Date('2026-11-16T10:00:00.000Z');
/** The monthly report's month (the month before the reference holds every case). */
export const REPORT_MONTH = '2026-10';

export type Row = Record<string, unknown>;

/** Plain SQL on one of a scenario's databases, outside the service (and outside the proxy). */
export interface Sql {
  all(db: DbName, query: string, params?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export interface Template {
  readonly dialect: Dialect;
  readonly dir: string;
}

export interface World {
  readonly dialect: Dialect;
  readonly dataDir: string;
  /** Databases reached directly. */
  readonly urls: Record<DbName, string>;
  /** The same databases through a proxy on `port` (MariaDB only). */
  proxiedUrls(port: number): Record<DbName, string>;
  /** The MariaDB database names, or the SQLite files. */
  readonly names: Record<DbName, string>;
  sql(): Sql;
  cleanup(): Promise<void>;
}

export function dbEnv(urls: Record<DbName, string>): Env {
  return Object.fromEntries(DB_NAMES.map((n) => [ENV_NAMES[n], urls[n]]));
}

const BASE_ENV: Env = { DEMO_DATA: 'never', BATCH_TIMEZONE: 'UTC', SCHEDULER_ENABLED: 'false', LOG_LEVEL: 'error' };

/** Seeded demo data, generated once per dialect at the reference instant. */
export async function makeTemplate(dialect: Dialect, seed: number, scale: number, own?: OwnMariadb): Promise<Template> {
  const dir = mkdtempSync(path.join(tmpdir(), `batch-faults-${dialect}-template-`));
  const env: Env = { ...BASE_ENV, DATA_DIR: dir };
  if (dialect === 'mysql') {
    if (!own) throw new Error('MariaDB template without a server');
    await createMysqlDatabases(own, 'ft_tmpl');
    Object.assign(env, dbEnv(mysqlUrls(own.url, 'ft_tmpl')));
  }
  const config = loadConfig(env);
  const databases = openDatabases(config);
  try {
    await migrate(databases);
    await generateDemoData(databases, { seed, scale, uploadsDir: config.uploadsDir, referenceDate: REFERENCE });
  } finally {
    await closeDatabases(databases);
  }
  return { dialect, dir };
}

function mysqlUrls(base: string, prefix: string): Record<DbName, string> {
  return Object.fromEntries(DB_NAMES.map((n) => [n, `${base}${prefix}_${n}`])) as Record<DbName, string>;
}

async function createMysqlDatabases(own: OwnMariadb, prefix: string): Promise<void> {
  const root = await own.root();
  try {
    for (const n of DB_NAMES) {
      await root.query(`DROP DATABASE IF EXISTS \`${prefix}_${n}\``);
      await root.query(`CREATE DATABASE \`${prefix}_${n}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    }
  } finally {
    await root.end();
  }
}

/** A fresh copy of the template for one scenario: siblings copied, batchdb migrated empty. */
export async function makeWorld(template: Template, id: string, own?: OwnMariadb): Promise<World> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `batch-faults-${id}-`));
  if (template.dialect === 'sqlite') {
    for (const entry of readdirSync(template.dir)) {
      if (entry === 'batchdb.sqlite' || entry.startsWith('batchdb.sqlite-')) continue;
      cpSync(path.join(template.dir, entry), path.join(dataDir, entry), { recursive: true });
    }
    const urls = Object.fromEntries(DB_NAMES.map((n) => [n, `sqlite:${path.join(dataDir, `${n}db.sqlite`)}`])) as Record<DbName, string>;
    await migrateBatch(dataDir, urls);
    const names = Object.fromEntries(DB_NAMES.map((n) => [n, path.join(dataDir, `${n}db.sqlite`)])) as Record<DbName, string>;
    return {
      dialect: 'sqlite',
      dataDir,
      urls,
      names,
      proxiedUrls: () => urls,
      sql: () => sqliteSql(names),
      async cleanup() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  if (!own) throw new Error('MariaDB world without a server');
  const prefix = `ft${id}`;
  await createMysqlDatabases(own, prefix);
  cpSync(path.join(template.dir, 'uploads'), path.join(dataDir, 'uploads'), { recursive: true });
  const root = await own.root();
  try {
    for (const n of DB_NAMES) {
      if (n === 'batch') continue;
      const [tables] = (await root.query(`SHOW TABLES FROM \`ft_tmpl_${n}\``)) as unknown as [Row[]];
      const statements = tables.map((t) => {
        const table = String(Object.values(t)[0]);
        return `CREATE TABLE \`${prefix}_${n}\`.\`${table}\` LIKE \`ft_tmpl_${n}\`.\`${table}\`; INSERT INTO \`${prefix}_${n}\`.\`${table}\` SELECT * FROM \`ft_tmpl_${n}\`.\`${table}\`;`;
      });
      if (statements.length > 0) await root.query(statements.join('\n'));
    }
  } finally {
    await root.end();
  }
  const urls = mysqlUrls(own.url, prefix);
  await migrateBatch(dataDir, urls);
  const names = Object.fromEntries(DB_NAMES.map((n) => [n, `${prefix}_${n}`])) as Record<DbName, string>;
  return {
    dialect: 'mysql',
    dataDir,
    urls,
    names,
    proxiedUrls: (port) => mysqlUrls(own.url.replace(`:${own.port}/`, `:${port}/`), prefix),
    sql: () => mysqlSql(own, names),
    async cleanup() {
      const r = await own.root();
      try {
        for (const n of DB_NAMES) await r.query(`DROP DATABASE IF EXISTS \`${prefix}_${n}\``);
      } finally {
        await r.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function migrateBatch(dataDir: string, urls: Record<DbName, string>): Promise<void> {
  const databases = openDatabases(loadConfig({ ...BASE_ENV, DATA_DIR: dataDir, ...dbEnv(urls) }));
  try {
    await migrate(databases);
  } finally {
    await closeDatabases(databases);
  }
}

function sqliteSql(files: Record<DbName, string>): Sql {
  const open = new Map<DbName, Database.Database>();
  const handle = (db: DbName) => {
    let h = open.get(db);
    if (!h) {
      h = new Database(files[db], { readonly: true, fileMustExist: true });
      h.pragma('busy_timeout = 5000');
      open.set(db, h);
    }
    return h;
  };
  return {
    async all(db, query, params = []) {
      return handle(db).prepare(query).all(...(params as unknown[])) as Row[];
    },
    async close() {
      for (const h of open.values()) h.close();
      open.clear();
    },
  };
}

function mysqlSql(own: OwnMariadb, names: Record<DbName, string>): Sql {
  let connection: Promise<Connection> | undefined;
  const get = () => (connection ??= own.root().then(async (c) => (await c.query("SET time_zone = '+00:00'"), c)));
  return {
    async all(db, query, params = []) {
      try {
        const c = await get();
        await c.query(`USE \`${names[db]}\``);
        const [rows] = await c.query({ sql: query, values: params as unknown[], dateStrings: true });
        return rows as Row[];
      } catch (error) {
        // A restarted server or a killed connection: the next call connects again.
        const c = connection;
        connection = undefined;
        void c?.then((x) => x.destroy()).catch(() => undefined);
        throw error;
      }
    },
    async close() {
      const c = connection;
      connection = undefined;
      await c?.then((x) => x.end()).catch(() => undefined);
    },
  };
}

/** Files under the data directory's uploads, archives and reports folders: path, size, content hash. */
export function fileRows(dataDir: string): Row[] {
  const rows: Row[] = [];
  let top = '';
  const walk = (dir: string, rel: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const relPath = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(full, relPath);
      else if (entry.isFile()) {
        const size = statSync(full).size;
        const sha = createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 16);
        // A report's bytes hold the minute it was generated, an archive's its random nonces and,
        // deflated, its manifest's time (one byte more or less): named apart, never compared.
        rows.push(
          top === 'reports' ? { path: relPath, reportSize: size, reportSha: sha } : top === 'archives' ? { path: relPath, archiveSize: size, archiveSha: sha } : { path: relPath, size, sha },
        );
      }
      else rows.push({ path: relPath, kind: entry.isSymbolicLink() ? 'link' : 'other' });
    }
  };
  for (top of ['uploads', 'archives', 'reports']) walk(path.join(dataDir, top), top);
  return rows;
}

/** A process of the CLI, its output kept for the report. */
export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  output(): string;
  signal(sig: NodeJS.Signals): void;
}

/** Every process a scenario started and that is still alive: killed if the harness itself is ended. */
const living = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of living) signalGroup(child, 'SIGKILL');
});

/**
 * Each process is the leader of its own group and signals go to the group: `faketime`
 * forks the program it runs, so a signal to the wrapper alone would leave node running
 * (not stopped, not killed).
 */
function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, sig);
  } catch {
    // already gone
  }
}

export function startProc(name: string, args: readonly string[], env: Env, options: { faketime?: string } = {}): Proc {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', ...env } as NodeJS.ProcessEnv;
  // In the scenario's folder: a .env file of the checkout must not reach the processes.
  const cwd = env.DATA_DIR ?? tmpdir();
  let child: ChildProcess;
  if (options.faketime) {
    // Wall clock only: the monotonic clock (the lease's) keeps running true, as NTP would leave it.
    childEnv.FAKETIME_DONT_FAKE_MONOTONIC = '1';
    child = spawn('faketime', ['-f', options.faketime, process.execPath, CLI, ...args], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } else {
    child = spawn(process.execPath, [CLI, ...args], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  }
  living.add(child);
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > 40_000) out = out.slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      living.delete(child);
      done = true;
      resolve({ code, signal });
    }),
  );
  return {
    name,
    child,
    pid: child.pid ?? -1,
    exited,
    alive: () => !done,
    output: () => out,
    signal(sig) {
      if (!done) signalGroup(child, sig);
    },
  };
}

/** An archive key of the harness (never a real one): 32 random bytes per harness run. */
export function archiveKeys(): string {
  return `faults1:${randomBytes(32).toString('base64')}`;
}
