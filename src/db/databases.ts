/**
 * The five databases (7.1–7.8), each with its own pool. Opened once per process by the
 * entry points and handed to whoever needs them.
 */
import type { Config, DatabaseName } from '../config.js';
import { DATABASE_NAMES } from '../config.js';
import { openDatabase, type DatabaseHandle } from './connect.js';
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
  const open = <DB>(name: DatabaseName) => openDatabase<DB>(config.databases[name], config.pool, `${name}db`);
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

/** Creates the sibling tables of CONTRACT.md where they do not exist (fixtures; never in production). */
export async function createSiblingTables(databases: Databases): Promise<void> {
  const u = databases.user as DatabaseHandle<unknown>;
  const i = databases.inscription as DatabaseHandle<unknown>;
  const d = databases.defense as DatabaseHandle<unknown>;
  const n = databases.notification as DatabaseHandle<unknown>;
  await createUserDbTables(u.db, u.dialect);
  await createInscriptionDbTables(i.db, i.dialect);
  await createDefenseDbTables(d.db, d.dialect);
  await createNotificationDbTables(n.db, n.dialect);
}
