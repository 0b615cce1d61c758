/**
 * A domain-free job for engine tests: `engine_items` rows (in the test environment's
 * userdb) are marked processed in chunks. Failure points are injected through hooks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import { JobOperator, type OperatorOptions } from '../../src/engine/job-operator.js';
import { JobRepository } from '../../src/engine/job-repository.js';
import { keysetReader } from '../../src/engine/keyset-reader.js';
import type { ChunkStep, JobDefinition, StepDefinition } from '../../src/engine/types.js';
import { executionHistoryListener } from '../../src/history/execution-history.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { Databases } from '../../src/db/databases.js';

export interface ItemsDb {
  engine_items: { id: number; value: number; processed: number; process_count: number };
}

export async function createItems(databases: Databases, count: number): Promise<Kysely<ItemsDb>> {
  const db = databases.user.db as unknown as Kysely<ItemsDb>;
  const intType = databases.user.dialect === 'sqlite' ? 'integer' : 'bigint';
  await db.schema
    .createTable('engine_items')
    .ifNotExists()
    .addColumn('id', intType, (c) => c.primaryKey())
    .addColumn('value', 'integer', (c) => c.notNull())
    .addColumn('processed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('process_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  for (let start = 1; start <= count; start += 500) {
    const rows = [];
    for (let id = start; id < Math.min(start + 500, count + 1); id++) rows.push({ id, value: id * 10, processed: 0, process_count: 0 });
    await db.insertInto('engine_items').values(rows).execute();
  }
  return db;
}

export interface ItemHooks {
  /** Called before each chunk is written, with the 1-based number of the write call. */
  beforeWrite?: (call: number, ids: readonly number[]) => void | Promise<void>;
  /** Called after each chunk is written (committed). */
  afterWrite?: (call: number, ids: readonly number[]) => void | Promise<void>;
  process?: (id: number) => number | null;
  /** Ids each read returned, in order (to see where a restart resumed). */
  reads?: number[][];
}

export function itemsStep(db: Kysely<ItemsDb>, name: string, chunkSize: number, hooks: ItemHooks = {}, extra: Partial<ChunkStep<number>> = {}): ChunkStep<number> {
  let calls = 0;
  return {
    kind: 'chunk',
    name,
    chunkSize,
    reader: (ctx) => {
      const reader = keysetReader(ctx.restoredContext, {
        fetch: async (after, limit) =>
          (await db.selectFrom('engine_items').select('id').where('id', '>', after).orderBy('id').limit(limit).execute()).map((r) => Number(r.id)),
        keyOf: (id: number) => id,
      });
      return {
        ...reader,
        async read(max) {
          const ids = await reader.read(max);
          if (ids.length > 0) hooks.reads?.push([...ids]);
          return ids;
        },
      };
    },
    processor: hooks.process ? (id) => hooks.process!(id) : undefined,
    writer: () => ({
      async write(ids) {
        const call = ++calls;
        await hooks.beforeWrite?.(call, ids);
        // Idempotent like every writer here: processed is set, process_count shows replays.
        const result = await db
          .updateTable('engine_items')
          .set({ processed: 1, process_count: sql`process_count + 1` })
          .where('id', 'in', ids)
          .executeTakeFirst();
        await hooks.afterWrite?.(call, ids);
        return Number(result.numUpdatedRows);
      },
    }),
    ...extra,
  };
}

export function itemsJob(db: Kysely<ItemsDb>, steps: readonly StepDefinition[], name = 'itemsJob'): JobDefinition {
  return { name, description: 'engine test job', steps };
}

/** Two tasklets: makeStep puts `made` in the job context; useStep needs it and records it as `seen`. */
export function contextJob(): JobDefinition {
  return {
    name: 'contextJob',
    description: 'passes a value from one step to the next',
    steps: [
      { kind: 'tasklet', name: 'makeStep', run: async (ctx) => void ctx.jobContext.set('made', 42) },
      {
        kind: 'tasklet',
        name: 'useStep',
        run: async (ctx) => {
          const made = ctx.jobContext.get('made');
          if (made === undefined) throw new Error('makeStep left nothing in the job context');
          ctx.jobContext.set('seen', made);
        },
      },
    ],
  };
}

export function slowTasklet(name: string, ms: number): StepDefinition {
  return { kind: 'tasklet', name, run: async () => void (await sleep(ms)) };
}

export function operatorFor(databases: Databases, jobs: readonly JobDefinition[], options: Partial<OperatorOptions> = {}): JobOperator {
  return new JobOperator(new JobRepository(databases.batch.db), jobs, {
    heartbeatIntervalMs: 50,
    heartbeatTimeoutMs: 10_000,
    checkpointIntervalMs: 0,
    logger: silentLogger,
    listeners: [executionHistoryListener(databases.batch.db)],
    retryHooks: { sleep: async () => undefined },
    ...options,
  });
}

export async function processedIds(db: Kysely<ItemsDb>): Promise<number[]> {
  return (await db.selectFrom('engine_items').select('id').where('processed', '=', 1).orderBy('id').execute()).map((r) => Number(r.id));
}
