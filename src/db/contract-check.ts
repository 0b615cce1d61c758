/**
 * Does each sibling database hold the tables and columns of the fixture DDL (issue 16)? A
 * wrong URL — batchdb's own, another service's database, an empty file made by a command
 * run from the wrong folder — otherwise shows only as `no such table` deep in a job's
 * stack trace. `run` and `restart` refuse on what this finds; `serve` starts anyway and
 * its health shows it (observability/contract-health.ts), since one database off the
 * contract must not stop the jobs that do not use it.
 *
 * What is expected is read from the fixture DDL itself (db/fixtures/sibling-ddl.ts), run
 * on an in-memory SQLite database: one list of tables and columns, not a second copy that
 * could drift from it. Only names are compared; types differ by engine by design.
 */
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DatabaseHandle } from './connect.js';
import { SIBLING_DDL, SIBLING_NAMES, type Databases, type SiblingName } from './databases.js';

/** Table name → its column names. */
export type TableColumns = ReadonlyMap<string, readonly string[]>;

/** What one sibling database lacks; the databases that hold the contract have none. */
export interface ContractGap {
  readonly database: SiblingName;
  /** Its URL, password masked. */
  readonly location: string;
  readonly sqlite: boolean;
  /** Why it could not be looked at (a refused connection…); nothing else is then known. */
  readonly unreadable?: string;
  readonly missingTables: readonly string[];
  /** Table → the columns it lacks, for the tables that exist. */
  readonly missingColumns: ReadonlyMap<string, readonly string[]>;
}

/** Each sibling database's tables and columns as the fixture DDL creates them. */
export async function expectedContract(): Promise<ReadonlyMap<SiblingName, TableColumns>> {
  const expected = new Map<SiblingName, TableColumns>();
  for (const name of SIBLING_NAMES) {
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) });
    try {
      await SIBLING_DDL[name](db, 'sqlite');
      expected.set(name, await tableColumns(db));
    } finally {
      await db.destroy();
    }
  }
  return expected;
}

/**
 * Compares open databases with the contract; a database that cannot be read is a gap too.
 *
 * @example
 * const gaps = await checkContract(app.databases);
 * for (const gap of gaps) logger.warn(describeContractGap(gap));
 */
export async function checkContract(
  databases: Pick<Databases, SiblingName>,
  expected: Promise<ReadonlyMap<SiblingName, TableColumns>> = expectedContract(),
): Promise<readonly ContractGap[]> {
  const contract = await expected;
  const gaps = await Promise.all(SIBLING_NAMES.map((name) => compare(name, databases[name] as DatabaseHandle<unknown>, contract.get(name)!)));
  return gaps.filter((gap): gap is ContractGap => gap !== undefined);
}

/**
 * One line in plain words, saying which variable to look at, e.g. « userdb has no table
 * refresh_tokens: is USER_DB_URL the user service's database? For the embedded default
 * run `batch-service demo-data` ».
 */
export function describeContractGap(gap: ContractGap): string {
  if (gap.unreadable !== undefined) return `${gap.database}db cannot be read at ${gap.location}: ${gap.unreadable}`;
  const variable = `${gap.database.toUpperCase()}_DB_URL`;
  const embeddedHint = gap.sqlite ? ' For the embedded default run `batch-service demo-data`' : '';
  const lacks = [
    ...(gap.missingTables.length > 0 ? [`no ${plural('table', gap.missingTables)}`] : []),
    ...[...gap.missingColumns].map(([table, columns]) => `a table ${table} without ${plural('column', columns)}`),
  ];
  return `${gap.database}db has ${lacks.join(' and ')}: is ${variable} the ${gap.database} service's database?${embeddedHint}`;
}

async function compare(name: SiblingName, handle: DatabaseHandle<unknown>, expected: TableColumns): Promise<ContractGap | undefined> {
  const sqlite = handle.dialect === 'sqlite';
  let actual: TableColumns;
  try {
    actual = await tableColumns(handle.db);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const unreadable = `${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message}`;
    return { database: name, location: handle.label, sqlite, unreadable, missingTables: [], missingColumns: new Map() };
  }
  const missingTables = [...expected.keys()].filter((table) => !actual.has(table));
  const missingColumns = new Map(
    [...expected]
      .filter(([table]) => actual.has(table))
      .map(([table, columns]) => [table, columns.filter((column) => !actual.get(table)!.includes(column))] as const)
      .filter(([, columns]) => columns.length > 0),
  );
  if (missingTables.length === 0 && missingColumns.size === 0) return undefined;
  return { database: name, location: handle.label, sqlite, missingTables, missingColumns };
}

async function tableColumns(db: Kysely<unknown>): Promise<TableColumns> {
  const tables = await db.introspection.getTables();
  return new Map(tables.map((table) => [table.name, table.columns.map((column) => column.name)]));
}

function plural(noun: string, names: readonly string[]): string {
  return `${noun}${names.length === 1 ? '' : 's'} ${names.join(', ')}`;
}
