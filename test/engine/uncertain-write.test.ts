/**
 * A step that fails on a chunk write whose commit is uncertain (every attempt lost its
 * answer) leaves that chunk done behind it: the restart finds it so and counts it as
 * filtered. The run says so — its counts are a lower bound — rather than present short
 * counts as exact (found by the fault harness: dureeDoctoratAlertJob behind a proxy that
 * resets every connection, 5 alerts sent and counted as filtered by the restart). So
 * does a step whose end could not be recorded while the run's end could: its row stays
 * STARTED with the counts of its last checkpoint (found the same way, tokenCleanupJob).
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { JobOperator } from '../../src/engine/job-operator.js';
import { JobRepository } from '../../src/engine/job-repository.js';
import type { ExecutionLease } from '../../src/engine/lease-fence.js';
import type { ChunkStep, JsonObject, StepExecution } from '../../src/engine/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { createItems, itemsJob, itemsStep, operatorFor, processedIds } from './harness.js';

/** What a driver throws when the connection drops mid-statement: the statement may have committed. */
const connectionReset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

describe.each(dialects)('a step failed by a write of uncertain outcome (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(async () => env?.cleanup());

  it('flags its counts as a lower bound, through the restart that finds the chunk done', async () => {
    env = await createTestEnvironment(dialect);
    const items = await createItems(env.databases, 30);
    let answersLost = true;
    const step: ChunkStep<number> = {
      kind: 'chunk',
      name: 'itemsStep',
      chunkSize: 10,
      reader: (ctx) => {
        const after = Number((ctx.restoredContext as { lastKey?: number }).lastKey ?? 0);
        let last = after;
        return {
          read: async (max) => {
            const ids = (await items.selectFrom('engine_items').select('id').where('id', '>', last).orderBy('id').limit(max).execute()).map((r) => Number(r.id));
            last = ids.at(-1) ?? last;
            return ids;
          },
          state: () => ({ lastKey: last }),
        };
      },
      // Counts only what it changed, as the jobs' writers do: an item already processed is filtered.
      writer: () => ({
        async write(ids) {
          const result = await items.updateTable('engine_items').set({ processed: 1, process_count: sql`process_count + 1` }).where('id', 'in', ids).where('processed', '=', 0).executeTakeFirst();
          // The second chunk commits, and every attempt's answer is lost.
          if (answersLost && ids.includes(15)) throw connectionReset();
          return Number(result.numUpdatedRows);
        },
      }),
    };
    const operator = operatorFor(env.databases, [itemsJob(items, [step])]);

    const failed = await (await operator.start('itemsJob', { trigger: 'CLI', parameters: { runAt: '2026-12-01T02:00:00Z' } })).done;
    expect(failed.status).toBe('FAILED');
    expect(failed.exitMessage).toMatch(/counts of itemsStep are a lower bound/);
    // The chunk did commit: the fault is the answer's, not the write's.
    expect(await processedIds(items)).toHaveLength(20);

    answersLost = false;
    const restarted = await (await operator.restart(failed.id, { trigger: 'CLI' })).done;
    expect(restarted.status).toBe('COMPLETED');
    const steps = await env.databases.batch.db
      .selectFrom('batch_step_execution')
      .select(['job_execution_id', 'read_count', 'write_count', 'filter_count'])
      .where('step_name', '=', 'itemsStep')
      .orderBy('id')
      .execute();
    // The restart reads the uncertain chunk again and finds it done: 10 filtered, 10 written.
    expect(steps.map((s) => [Number(s.read_count), Number(s.write_count), Number(s.filter_count)])).toEqual([
      [10, 10, 0],
      [30, 20, 10],
    ]);
    expect(restarted.exitMessage).toMatch(/counts of itemsStep are a lower bound/);
    expect(restarted.metrics).toMatchObject({ stepCountsComplete: false });
  });

  it('a step whose end could not be recorded resumes from its checkpoint with its counts flagged as a lower bound', async () => {
    env = await createTestEnvironment(dialect);
    const items = await createItems(env.databases, 25);
    let endsLost = true;
    /** The step's end fails past every retry (the link keeps dropping); the run's end then goes through. */
    class LosingStepEnds extends JobRepository {
      override async finishStep(lease: ExecutionLease, step: StepExecution, jobContext?: JsonObject): Promise<StepExecution> {
        if (endsLost && step.stepName === 'itemsStep') throw connectionReset();
        return super.finishStep(lease, step, jobContext);
      }
    }
    const step: ChunkStep<number> = {
      ...itemsStep(items, 'itemsStep', 10),
      writer: () => ({
        async write(ids) {
          const result = await items.updateTable('engine_items').set({ processed: 1 }).where('id', 'in', ids).where('processed', '=', 0).executeTakeFirst();
          return Number(result.numUpdatedRows);
        },
      }),
    };
    // No checkpoint within the run: the step row keeps the counts and position it started with.
    const operator = new JobOperator(new LosingStepEnds(env.databases.batch.db), [itemsJob(items, [step])], {
      heartbeatIntervalMs: 50,
      heartbeatTimeoutMs: 10_000,
      checkpointIntervalMs: 3_600_000,
      logger: silentLogger,
      retryHooks: { sleep: async () => undefined },
    });
    const failed = await (await operator.start('itemsJob', { trigger: 'CLI', parameters: { runAt: '2026-12-01T02:00:00Z' } })).done;
    expect(failed.status).toBe('FAILED');
    expect(await processedIds(items)).toHaveLength(25);
    const [left] = await operator.repository.stepExecutions(failed.id);
    expect(left?.status).toBe('STARTED');

    endsLost = false;
    const restarted = await (await operator.restart(failed.id, { trigger: 'CLI' })).done;
    expect(restarted.status).toBe('COMPLETED');
    const [resumed] = await operator.repository.stepExecutions(restarted.id);
    // From the start of the step: all 25 read again and found done.
    expect([resumed?.counts.read, resumed?.counts.write, resumed?.counts.filter]).toEqual([25, 0, 25]);
    expect(restarted.exitMessage).toMatch(/counts of itemsStep are a lower bound/);
    expect(restarted.metrics).toMatchObject({ stepCountsComplete: false });
  });
});
