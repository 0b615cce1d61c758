/**
 * The five databases (7.1–7.8), each with its own pool. Opened once per process by the
 * entry points and handed to whoever needs them.
 */
import { existsSync } from 'node:fs';
import { DEFAULT_MIGRATION_TABLE, type Kysely } from 'kysely';
import type { Config, DatabaseName } from '../config.js';
import { DATABASE_NAMES } from '../config.js';
import { dialectOf, openDatabase, sqliteFile, type DatabaseHandle, type Dialect } from './connect.js';
import type { BatchDb } from './schema/batch-tables.js';
import type { DefenseDb, InscriptionDb, NotificationDb, UserDb } from './schema/sibling-tables.js';
import {
  createDefenseDbTables,
  createInscriptionDbTables,
  createNotificationDbTables,
  createUserDbTables,
} from './fixtures/sibling-ddl.js';
import { migrateBatchDb } from './migrate.js';

export interface Databases {
  readonly batch: DatabaseHandle<BatchDb>;
  readonly user: DatabaseHandle<UserDb>;
  readonly inscription: DatabaseHandle<InscriptionDb>;
  readonly defense: DatabaseHandle<DefenseDb>;
  readonly notification: DatabaseHandle<NotificationDb>;
}

export function openDatabases(config: Pick<Config, 'databases' | 'pool'>): Databases {
  // batchdb holds what an erasure request removes (src/archives/archive-erasure.ts); the siblings are their owners' files.
  const open = <DB>(name: DatabaseName) => openDatabase<DB>(config.databases[name], config.pool, `${name}db`, { secureDelete: name === 'batch' });
  return {
    batch: open<BatchDb>('batch'),
    user: open<UserDb>('user'),
    inscription: open<InscriptionDb>('inscription'),
    defense: open<DefenseDb>('defense'),
    notification: open<NotificationDb>('notification'),
  };
}

export async function closeDatabases(databases: Databases): Promise<void> {
  await Promise.allSettled(DATABASE_NAMES.map((name) => databases[name].close()));
}

/** Applies batchdb's migrations. */
export function migrate(databases: Databases): Promise<readonly string[]> {
  return migrateBatchDb(databases.batch as DatabaseHandle<unknown>);
}

/**
 * Whether batchdb exists and was migrated once, found without creating anything: the
 * commands that only read or act on recorded executions refuse instead of making an
 * empty batchdb wherever they were run from (issue 16). SQLite: the file holds the
 * migration table; MariaDB: the database exists and holds it.
 *
 * @example
 * if (!(await batchDbExists(config))) throw new Error('no batch database');
 */
export async function batchDbExists(config: Pick<Config, 'databases' | 'pool'>): Promise<boolean> {
  const url = config.databases.batch;
  if (dialectOf(url) === 'sqlite' && !existsSync(sqliteFile(url))) return false;
  const handle = openDatabase<unknown>(url, config.pool, 'batchdb', { mustExist: true });
  try {
    const tables = await handle.db.introspection.getTables({ withInternalKyselyTables: true });
    return tables.some((table) => table.name === DEFAULT_MIGRATION_TABLE);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ER_BAD_DB_ERROR') return false;
    throw error;
  } finally {
    await handle.close();
  }
}

export type SiblingName = Exclude<DatabaseName, 'batch'>;
export const SIBLING_NAMES: readonly SiblingName[] = ['user', 'inscription', 'defense', 'notification'];

/**
 * The fixture DDL of each sibling database (docs/databases.md): what `createSiblingTables` runs,
 * and what db/contract-check.ts expects to find, so the two cannot drift apart.
 */
export const SIBLING_DDL: Readonly<Record<SiblingName, (db: Kysely<unknown>, dialect: Dialect) => Promise<void>>> = {
  user: createUserDbTables,
  inscription: createInscriptionDbTables,
  defense: createDefenseDbTables,
  notification: createNotificationDbTables,
};

/** Creates the sibling tables of docs/databases.md where they do not exist (fixtures; never in production). */
export async function createSiblingTables(databases: Databases): Promise<void> {
  for (const name of SIBLING_NAMES) {
    const handle = databases[name] as DatabaseHandle<unknown>;
    await SIBLING_DDL[name](handle.db, handle.dialect);
  }
}
