/**
 * `GET /actuator/health` (8.5, Spring Boot's shape): UP only when every component is.
 * A database that does not answer within the timeout is DOWN; the process stays up.
 */
import { sql } from 'kysely';
import { DATABASE_NAMES } from '../config.js';
import type { Databases } from '../db/databases.js';

export interface ComponentHealth {
  readonly status: 'UP' | 'DOWN';
  readonly details: Readonly<Record<string, unknown>>;
}

export interface Health {
  readonly status: 'UP' | 'DOWN';
  readonly components: Readonly<Record<string, ComponentHealth>>;
}

export async function checkHealth(databases: Databases, timeoutMs = 2_000): Promise<Health> {
  const entries = await Promise.all(
    DATABASE_NAMES.map(async (name) => [`${name}Db`, await checkDatabase(databases[name], timeoutMs)] as const),
  );
  const components = Object.fromEntries(entries);
  const status = entries.every(([, c]) => c.status === 'UP') ? 'UP' : 'DOWN';
  return { status, components };
}

async function checkDatabase(handle: Databases[keyof Databases], timeoutMs: number): Promise<ComponentHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      sql`select 1`.execute(handle.db),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'UP', details: { database: handle.dialect, latencyMs: Math.round((performance.now() - started) * 10) / 10 } };
  } catch (error) {
    return { status: 'DOWN', details: { database: handle.dialect, url: handle.label, error: (error as Error).message } };
  } finally {
    clearTimeout(timer);
  }
}
