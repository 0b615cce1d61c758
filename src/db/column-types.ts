/**
 * Column types that differ between SQLite and MariaDB, in one place.
 * SQLite: an auto-increment key must be exactly `integer primary key` (the rowid alias);
 * timestamps are text. MariaDB: BIGINT keys, DATETIME(3) so milliseconds survive.
 */
import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Expression } from 'kysely';
import type { Dialect } from './connect.js';

type DataType = Parameters<CreateTableBuilder<string, never>['addColumn']>[1];

export interface ColumnTypes {
  readonly id: DataType;
  readonly bigint: DataType;
  readonly timestamp: DataType;
  readonly date: DataType;
  readonly bool: DataType;
  /** Unbounded text (JSON documents, error messages). */
  readonly text: DataType;
  readonly varchar: (length: number) => DataType;
  readonly autoId: (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
  readonly defaultFalse: Expression<unknown>;
}

export function columnTypes(dialect: Dialect): ColumnTypes {
  const sqlite = dialect === 'sqlite';
  return {
    id: sqlite ? 'integer' : 'bigint',
    bigint: sqlite ? 'integer' : 'bigint',
    timestamp: sqlite ? 'text' : sql`datetime(3)`,
    date: sqlite ? 'text' : 'date',
    bool: sqlite ? 'integer' : 'boolean',
    text: sqlite ? 'text' : sql`mediumtext`,
    varchar: (length) => sql`varchar(${sql.raw(String(length))})`,
    autoId: (col) => col.primaryKey().autoIncrement(),
    defaultFalse: sql`0`,
  };
}
