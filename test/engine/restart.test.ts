import { afterEach, describe, expect, it } from 'vitest';
import { JobAlreadyRunningError, JobInstanceAlreadyCompleteError, JobRestartError } from '../../src/engine/errors.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { createItems, itemsJob, itemsStep, operatorFor, processedIds } from './harness.js';

describe.each(dialects)('restart (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it.each([false, true])('a step failing in chunk k restarts at chunk k and ends as a run that never failed (read-ahead %s)', async (readAhead) => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 95);
    const reads: number[][] = [];
    let failNextThird = true;
    const step = itemsStep(db, 'itemsStep', 10, {
      reads,
      beforeWrite: (call) => {
        if (call === 4 && failNextThird) {
          failNextThird = false;
          throw new Error('disk on fire');
        }
      },
    }, { readAhead });
    const operator = operatorFor(env.databases, [itemsJob(db, [step])]);

    const first = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    expect(first.status).toBe('FAILED');
    expect(first.exitMessage).toContain('disk on fire');
    expect(await processedIds(db)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const [failedStep] = await operator.repository.stepExecutions(first.id);
    expect(failedStep?.counts).toMatchObject({ read: 30, write: 30, commit: 3, rollback: 1 });

    reads.length = 0;
    const second = await (await operator.restart(first.id, { trigger: 'CLI' })).done;
    expect(second.status).toBe('COMPLETED');
    expect(second.restartOf).toBe(first.id);
    // Resumed at chunk 4: the first read after the restart starts at id 31.
    expect(reads[0]?.[0]).toBe(31);
    expect(await processedIds(db)).toEqual(Array.from({ length: 95 }, (_, i) => i + 1));
    const counts = await db.selectFrom('engine_items').select('process_count').distinct().execute();
    expect(counts.map((c) => Number(c.process_count))).toEqual([1]);
    const [resumed] = await operator.repository.stepExecutions(second.id);
    // Counts carry on from the checkpoint: the instance's totals, as if it never failed.
    expect(resumed?.counts).toMatchObject({ read: 95, write: 95, commit: 10 });
    expect(second.parameters.runAt?.value).toBe(first.parameters.runAt?.value);
  });

  it('a restart skips the steps that completed', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 20);
    let failures = 1;
    const job = itemsJob(db, [
      itemsStep(db, 'first', 5),
      {
        kind: 'tasklet',
        name: 'second',
        run: async () => {
          if (failures-- > 0) throw new Error('flaky tasklet');
        },
      },
    ]);
    const operator = operatorFor(env.databases, [job]);
    const failed = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    expect(failed.status).toBe('FAILED');
    const restarted = await (await operator.restart(failed.id, { trigger: 'CLI' })).done;
    expect(restarted.status).toBe('COMPLETED');
    const steps = await operator.repository.stepExecutions(restarted.id);
    expect(steps.map((s) => s.stepName)).toEqual(['second']);
  });

  it('refuses to run a completed instance again and gives a fresh instance without parameters', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 3);
    const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 's', 2)])]);
    const params = { runAt: '2026-01-01T00:00:00Z' };
    const done = await (await operator.start('itemsJob', { parameters: params, trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    await expect(operator.start('itemsJob', { parameters: params, trigger: 'CLI' })).rejects.toBeInstanceOf(JobInstanceAlreadyCompleteError);
    await expect(operator.restart(done.id, { trigger: 'CLI' })).rejects.toBeInstanceOf(JobRestartError);
    // One instant, one instance, however it is written.
    expect(done.parameters.runAt?.value).toBe('2026-01-01T00:00:00.000Z');
    for (const runAt of ['2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00+01:00', '2025-12-31T19:00:00-05:00']) {
      await expect(operator.start('itemsJob', { parameters: { runAt }, trigger: 'CLI' }), runAt).rejects.toBeInstanceOf(JobInstanceAlreadyCompleteError);
    }

    const a = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    const b = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    expect([a.status, b.status]).toEqual(['COMPLETED', 'COMPLETED']);
    expect(a.instanceId).not.toBe(b.instanceId);
    expect(a.parameters['run.id']?.value).not.toBe(b.parameters['run.id']?.value);
  });

  it('a launch while the same job runs in this process is refused', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 50);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 's', 10, { beforeWrite: () => gate })])]);
    const running = await operator.start('itemsJob', { trigger: 'CLI' });
    await expect(operator.start('itemsJob', { trigger: 'CLI' })).rejects.toBeInstanceOf(JobAlreadyRunningError);
    release();
    expect((await running.done).status).toBe('COMPLETED');
  });

  it('a stopped execution ends STOPPED at a chunk boundary and restarts to completion', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 100);
    const target: { stop?: () => Promise<unknown> } = {};
    const step = itemsStep(db, 's', 10, {
      afterWrite: async (call) => {
        if (call === 2) await target.stop?.();
      },
    });
    const operator = operatorFor(env.databases, [itemsJob(db, [step])]);
    const running = await operator.start('itemsJob', { trigger: 'CLI' });
    target.stop = () => operator.stop(running.execution.id);
    const stopped = await running.done;
    expect(stopped.status).toBe('STOPPED');
    expect(await processedIds(db)).toHaveLength(20);
    const restarted = await (await operator.restart(stopped.id, { trigger: 'CLI' })).done;
    expect(restarted.status).toBe('COMPLETED');
    expect(await processedIds(db)).toHaveLength(100);
  });
});
