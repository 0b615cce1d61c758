/**
 * For every chunk step, in every ending — completed, failed, stopped, restarted after a
 * failure — read = written + filtered + process skips + write skips: nothing read goes
 * unaccounted for. An item the writer finds already done counts as filtered.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkStep, JobDefinition } from '../../src/engine/types.js';
import { keysetReader } from '../../src/engine/keyset-reader.js';
import { createTestEnvironment, type TestEnvironment } from '../support/databases.js';
import { createItems, operatorFor, type ItemsDb } from './harness.js';
import type { Kysely } from 'kysely';

class BadItemError extends Error {}

interface Scenario {
  readonly items: number;
  readonly chunkSize: number;
  /** Ids the processor filters out. */
  readonly filterEvery: number;
  /** Ids whose processing fails (skipped). */
  readonly badProcess: readonly number[];
  /** Ids whose write fails (skipped after the chunk's item-by-item scan). */
  readonly badWrite: readonly number[];
  /** Ids already processed before the run (the writer changes nothing for them). */
  readonly done: readonly number[];
  /** The n-th write call fails the step (0: never). */
  readonly crashAtWrite: number;
  /** The step is asked to stop after this many chunks (0: never). */
  readonly stopAfterChunk: number;
}

const scenarios = fc.record({
  items: fc.integer({ min: 0, max: 60 }),
  chunkSize: fc.integer({ min: 1, max: 15 }),
  filterEvery: fc.integer({ min: 2, max: 9 }),
  badProcess: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
  badWrite: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 4 }),
  done: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 10 }),
  crashAtWrite: fc.integer({ min: 0, max: 8 }),
  stopAfterChunk: fc.integer({ min: 0, max: 6 }),
});

function countingJob(db: Kysely<ItemsDb>, scenario: Scenario, fault: { crash: boolean; stop?: () => void }): JobDefinition {
  let writes = 0;
  let chunks = 0;
  const step: ChunkStep<number> = {
    kind: 'chunk',
    name: 'countStep',
    chunkSize: scenario.chunkSize,
    reader: (ctx) =>
      keysetReader(ctx.restoredContext, {
        fetch: async (after, limit) =>
          (await db.selectFrom('engine_items').select('id').where('id', '>', after).orderBy('id').limit(limit).execute()).map((r) => Number(r.id)),
        keyOf: (id: number) => id,
      }),
    processor: (id) => {
      if (scenario.badProcess.includes(id)) throw new BadItemError(`cannot process ${id}`);
      return id % scenario.filterEvery === 0 ? null : id;
    },
    writer: () => ({
      async write(ids) {
        writes++;
        if (fault.crash && writes === scenario.crashAtWrite) throw new Error('crash');
        if (ids.some((id) => scenario.badWrite.includes(id))) throw new BadItemError('bad item in chunk');
        const result = await db.updateTable('engine_items').set({ processed: 1, process_count: sql`process_count + 1` }).where('id', 'in', ids).where('processed', '=', 0).executeTakeFirst();
        if (++chunks === scenario.stopAfterChunk) fault.stop?.();
        return Number(result.numUpdatedRows);
      },
    }),
    skip: { limit: 1_000, skippable: (error) => error instanceof BadItemError },
  };
  return { name: 'countJob', description: 'counts', steps: [step] };
}

describe('counts add up (sqlite)', () => {
  let env: TestEnvironment;
  let db: Kysely<ItemsDb>;
  beforeAll(async () => {
    env = await createTestEnvironment('sqlite');
    db = await createItems(env.databases, 0);
  });
  afterAll(() => env?.cleanup());

  it('property: read = written + filtered + skipped for every step execution, through failures, stops and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(scenarios, async (scenario) => {
        await db.deleteFrom('engine_items').execute();
        for (let id = 1; id <= scenario.items; id++) {
          await db.insertInto('engine_items').values({ id, value: id, processed: scenario.done.includes(id) ? 1 : 0, process_count: 0 }).execute();
        }
        const fault: { crash: boolean; stop?: () => void } = { crash: true };
        const operator = operatorFor(env.databases, [countingJob(db, scenario, fault)], { checkpointIntervalMs: 0 });
        let running = await operator.start('countJob', { trigger: 'CLI' });
        fault.stop = () => void operator.stop(running.execution.id);
        let ended = await running.done;
        for (let attempt = 0; ended.status !== 'COMPLETED' && attempt < 3; attempt++) {
          fault.crash = false;
          fault.stop = undefined;
          running = await operator.restart(ended.id, { trigger: 'CLI' });
          ended = await running.done;
        }
        expect(ended.status).toBe('COMPLETED');
        const steps = await env.databases.batch.db.selectFrom('batch_step_execution').selectAll().execute();
        for (const step of steps) {
          expect(Number(step.read_count), `${step.status} step ${step.id}`).toBe(
            Number(step.write_count) + Number(step.filter_count) + Number(step.process_skip_count) + Number(step.write_skip_count),
          );
        }
        // And the last one accounts for every item exactly once.
        const last = steps.at(-1)!;
        expect(Number(last.read_count)).toBe(scenario.items);
        await env.databases.batch.db.deleteFrom('batch_step_execution').execute();
      }),
      { numRuns: 60 },
    );
  });
});
