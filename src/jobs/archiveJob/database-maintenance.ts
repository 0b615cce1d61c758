/**
 * 4.8: maintenance of the tables archiveJob touched. MariaDB: ANALYZE, OPTIMIZE and CHECK
 * TABLE; SQLite: ANALYZE and `PRAGMA quick_check`. Each result is returned (the step keeps
 * it in its context and logs it). A missing privilege is a warning; a CHECK or
 * quick_check that reports corruption fails the step.
 */
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../db/connect.js';

export interface MaintenanceResult {
  readonly database: string;
  readonly table: string;
  readonly operation: string;
  readonly status: string;
  readonly message: string;
}

export class CorruptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptionError';
  }
}

export async function maintain(handle: DatabaseHandle<unknown>, tables: readonly string[]): Promise<MaintenanceResult[]> {
  const results: MaintenanceResult[] = [];
  if (handle.dialect === 'sqlite') {
    for (const table of tables) {
      await sql`ANALYZE ${sql.table(table)}`.execute(handle.db);
      results.push({ database: handle.name, table, operation: 'analyze', status: 'OK', message: 'statistics refreshed' });
    }
    const { rows } = await sql<{ quick_check: string }>`PRAGMA quick_check`.execute(handle.db);
    const verdict = rows.map((r) => Object.values(r)[0]).join('; ');
    results.push({ database: handle.name, table: '*', operation: 'quick_check', status: verdict === 'ok' ? 'OK' : 'CORRUPT', message: verdict });
    if (verdict !== 'ok') throw new CorruptionError(`${handle.name}: PRAGMA quick_check reports ${verdict}`);
    return results;
  }
  for (const operation of ['ANALYZE', 'OPTIMIZE', 'CHECK'] as const) {
    for (const table of tables) {
      try {
        const { rows } = await sql<{ Msg_type: string; Msg_text: string }>`${sql.raw(operation)} TABLE ${sql.table(table)}`.execute(handle.db);
        const worst = rows.find((r) => r.Msg_type === 'error') ?? rows.at(-1);
        const status = worst?.Msg_type === 'error' ? 'ERROR' : 'OK';
        results.push({ database: handle.name, table, operation: operation.toLowerCase(), status, message: rows.map((r) => `${r.Msg_type}: ${r.Msg_text}`).join('; ') });
        if (operation === 'CHECK' && status === 'ERROR') throw new CorruptionError(`${handle.name}.${table}: CHECK TABLE reports ${worst?.Msg_text}`);
      } catch (error) {
        if (error instanceof CorruptionError) throw error;
        const code = (error as { code?: string }).code ?? '';
        if (!/ACCESS_DENIED|TABLEACCESS_DENIED|SPECIFIC_ACCESS_DENIED/.test(code)) throw error;
        results.push({ database: handle.name, table, operation: operation.toLowerCase(), status: 'WARNING', message: `missing privilege (${code}): ${(error as Error).message}` });
      }
    }
  }
  return results;
}
