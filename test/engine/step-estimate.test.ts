/**
 * A chunk step's estimate (issue 14, item 3): taken once as the step starts, recorded
 * with the step execution from its first checkpoint on, returned in the execution JSON;
 * re-taken by a restart from the reader's position; never able to fail the step.
 */
import pino from 'pino';
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { executionJson } from '../../src/engine/execution-json.js';
import { keysetPosition } from '../../src/engine/keyset-reader.js';
import type { StepRunContext } from '../../src/engine/types.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { createItems, itemsJob, itemsStep, operatorFor, type ItemsDb } from './harness.js';

/** What the items reader has still to return: one count after its restored key. */
function countingEstimate(db: Kysely<ItemsDb>, calls: StepRunContext[] = []) {
  return async (ctx: StepRunContext) => {
    calls.push(ctx);
    const row = await db
      .selectFrom('engine_items')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('id', '>', keysetPosition(ctx.restoredContext))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
}

async function storedEstimate(env: TestEnvironment, stepName: string): Promise<number | null | undefined> {
  const row = await env.databases.batch.db
    .selectFrom('batch_step_execution')
    .select('estimated_total')
    .where('step_name', '=', stepName)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row && (row.estimated_total === null ? null : Number(row.estimated_total));
}

describe.each(dialects)('step estimate (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('is taken once, recorded with the first checkpoint and returned per step in the execution JSON', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 95);
    const calls: StepRunContext[] = [];
    const seenDuringRun: (number | null | undefined)[] = [];
    const estimated = itemsStep(db, 'estimated', 10, { afterWrite: async (call) => void (call === 2 && seenDuringRun.push(await storedEstimate(env, 'estimated'))) }, { estimate: countingEstimate(db, calls) });
    const operator = operatorFor(env.databases, [itemsJob(db, [estimated, itemsStep(db, 'plain', 50)])]);

    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;

    expect(done.status).toBe('COMPLETED');
    // Ten chunks, one count: the estimate is not taken per chunk.
    expect(calls).toHaveLength(1);
    // checkpointIntervalMs is 0: the first chunk's checkpoint, before the second write, carried it.
    expect(seenDuringRun).toEqual([95]);
    const steps = await operator.repository.stepExecutions(done.id);
    expect(steps.map((s) => [s.stepName, s.estimatedTotal, s.counts.read])).toEqual([
      ['estimated', 95, 95],
      ['plain', null, 95],
    ]);
    const json = executionJson(await operator.repository.getExecutionOrThrow(done.id), steps);
    expect(json.steps.map((s) => [s.name, s.estimatedTotal])).toEqual([
      ['estimated', 95],
      ['plain', null],
    ]);
  });

  it('with checkpoints far apart, the end of the step records it', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 30);
    const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 's', 10, {}, { estimate: countingEstimate(db) })])], { checkpointIntervalMs: 600_000 });

    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;

    expect(done.status).toBe('COMPLETED');
    expect(await storedEstimate(env, 's')).toBe(30);
  });

  it('a restart estimates again from the restored position and adds the restored counts', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 95);
    const calls: StepRunContext[] = [];
    let failOnce = true;
    const step = itemsStep(db, 's', 10, {
      beforeWrite: (call) => {
        if (call === 4 && failOnce) {
          failOnce = false;
          throw new Error('disk on fire');
        }
      },
    }, { estimate: countingEstimate(db, calls) });
    const operator = operatorFor(env.databases, [itemsJob(db, [step])]);

    const failed = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    expect(failed.status).toBe('FAILED');
    // A failed step keeps the estimate it was started with.
    expect((await operator.repository.stepExecutions(failed.id))[0]?.estimatedTotal).toBe(95);

    // Rows arriving meanwhile are part of what the restart expects.
    await db.insertInto('engine_items').values([{ id: 96, value: 960, processed: 0, process_count: 0 }, { id: 97, value: 970, processed: 0, process_count: 0 }]).execute();
    const restarted = await (await operator.restart(failed.id, { trigger: 'CLI' })).done;

    expect(restarted.status).toBe('COMPLETED');
    expect(calls.map((c) => keysetPosition(c.restoredContext))).toEqual([0, 30]);
    const [resumed] = await operator.repository.stepExecutions(restarted.id);
    // 30 restored + 67 counted after id 30: what the step then read in all.
    expect(resumed?.estimatedTotal).toBe(97);
    expect(resumed?.counts.read).toBe(97);
  });

  it('an estimate that throws is logged at debug, leaves the total null, and the step completes', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 20);
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const estimate = async (): Promise<number> => Promise.reject(new Error('count timed out'));
    const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 's', 5, {}, { estimate })])], { logger });

    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;

    expect(done.status).toBe('COMPLETED');
    const [step] = await operator.repository.stepExecutions(done.id);
    expect([step?.status, step?.estimatedTotal]).toEqual(['COMPLETED', null]);
    expect(step?.counts).toMatchObject({ read: 20, write: 20 });
    expect(await storedEstimate(env, 's')).toBeNull();
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } }).filter((l) => l.err?.message === 'count timed out');
    expect(logged.map((l) => [l.level, l.msg])).toEqual([[20, 'step estimate failed; its progress shows without a total']]);
  });

  it.each([
    ['a negative number', -1],
    ['NaN', Number.NaN],
  ])('an estimate of %s is no estimate', async (_what, answer) => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 20);
    const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 's', 5, {}, { estimate: async () => answer })])]);

    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;

    expect(done.status).toBe('COMPLETED');
    const [step] = await operator.repository.stepExecutions(done.id);
    expect(step?.estimatedTotal).toBeNull();
    expect(await storedEstimate(env, 's')).toBeNull();
  });
});
