import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ExecutionReadModel } from '../../src/engine/execution-read-model.js';
import { startChild, runChild } from '../support/child.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { lapseLeases } from '../support/leases.js';
import { createItems, itemsJob, itemsStep, operatorFor, processedIds } from './harness.js';

const CHILD = 'test/fixtures/engine-child.ts';

describe.each(dialects)('across processes (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('two processes launching the same job at once make one run and one "already running"', async () => {
    env = await createTestEnvironment(dialect);
    await createItems(env.databases, 1);
    const startAt = String(Date.now() + 2_500);
    const results = await Promise.all([
      runChild([CHILD, 'launch-slow', startAt], env.env, { tsx: true }),
      runChild([CHILD, 'launch-slow', startAt], env.env, { tsx: true }),
    ]);
    const outcomes = results.map((r) => JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { result: string; error?: string; status?: string });
    expect(outcomes.map((o) => o.result).sort()).toEqual(['ran', 'refused']);
    expect(outcomes.find((o) => o.result === 'refused')?.error).toBe('JobAlreadyRunningError');
    expect(outcomes.find((o) => o.result === 'ran')?.status).toBe('COMPLETED');
    const page = await new ExecutionReadModel(env.databases.batch.db).listExecutions('slowJob', 0, 10);
    expect(page.total).toBe(1);
  });

  it('a stop asked from another process ends the run STOPPED at a chunk boundary', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 400);
    const child = startChild([CHILD, 'run-items', '40'], env.env, { tsx: true });
    const [, id] = await child.waitForLine(/started (\d+)/);
    const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 'itemsStep', 10)])]);
    await child.waitForLine(/write 2\n/);
    const stopping = await operator.stop(Number(id));
    // The child polls every 50 ms: it may have ended the run before the status is read back.
    expect(['STOPPING', 'STOPPED']).toContain(stopping.status);
    const result = await child.exited;
    expect(result.stdout).toContain('finished STOPPED');
    const stopped = await operator.repository.getExecutionOrThrow(Number(id));
    expect(stopped.status).toBe('STOPPED');
    const done = await (await operator.restart(stopped.id, { trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    expect(await processedIds(db)).toHaveLength(400);
  });

  it("a killed process's execution is found abandoned, marked FAILED and restarts to completion", async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 300);
    const child = startChild([CHILD, 'run-items', '30'], env.env, { tsx: true });
    const [, id] = await child.waitForLine(/started (\d+)/);
    await child.waitForLine(/write 3\n/);
    child.process.kill('SIGKILL');
    await child.exited;
    const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 'itemsStep', 10)])]);
    const left = await operator.repository.getExecutionOrThrow(Number(id));
    expect(left.status).toBe('STARTED');
    const partial = (await processedIds(db)).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(300);

    // Killed a moment ago, its heartbeat is still fresh: the sweep leaves it until the lease lapses.
    expect(await operator.abandonStale()).toEqual([]);
    expect(await lapseLeases(env.databases.batch.db)).toBe(1);
    const abandoned = await operator.abandonStale();
    expect(abandoned.map((e) => e.id)).toEqual([Number(id)]);
    const failed = await operator.repository.getExecutionOrThrow(Number(id));
    expect([failed.status, failed.exitCode]).toEqual(['FAILED', 'ABANDONED']);
    const done = await (await operator.restart(failed.id, { trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    expect(await processedIds(db)).toHaveLength(300);
  });
});

describe.each(dialects)('fencing: a paused process that lost its lease writes nothing more (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('SIGSTOP past the heartbeat timeout, restarted elsewhere, SIGCONT: the first ends without a write, the restart completes', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 300);
    // No checkpoint after the first: only the lease and the heartbeat's owner check can stop it.
    const child = startChild([CHILD, 'run-items', '30'], { ...env.env, CHILD_CHECKPOINT_MS: '600000' }, { tsx: true });
    const [, id] = await child.waitForLine(/started (\d+)/);
    await child.waitForLine(/write 3\n/);
    child.process.kill('SIGSTOP');
    try {
      // The child's heartbeat timeout is 1 s; this process abandons it and restarts it.
      await sleep(1_500);
      const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 'itemsStep', 10, { beforeWrite: () => sleep(10) })])], { heartbeatTimeoutMs: 1_000 });
      expect((await operator.abandonStale()).map((e) => e.id)).toEqual([Number(id)]);
      const abandoned = await operator.repository.getExecutionOrThrow(Number(id));
      const abandonedSteps = await operator.repository.stepExecutions(Number(id));
      const restart = await operator.restart(Number(id), { trigger: 'CLI' });

      // Woken while its run goes on elsewhere: everything it prints from now on is after the pause.
      const before = (await child.waitForLine(/write \d+\n/)).input?.length ?? 0;
      child.process.kill('SIGCONT');
      const ended = await child.exited;
      const after = ended.stdout.slice(before);
      expect(after).not.toMatch(/^write /m);
      expect(after).toMatch(/finished FAILED LEASE_LOST/);

      expect((await restart.done).status).toBe('COMPLETED');
      // The abandoned execution's record is the abandoner's, untouched by the zombie.
      expect(await operator.repository.getExecutionOrThrow(Number(id))).toEqual(abandoned);
      expect(await operator.repository.stepExecutions(Number(id))).toEqual(abandonedSteps);
      expect(await processedIds(db)).toHaveLength(300);
    } finally {
      child.process.kill('SIGCONT');
      child.process.kill('SIGKILL');
    }
  });
});

describe.each(dialects)('a stop asked of a run whose process then died (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('the sweep ends it STOPPED, not STOPPING forever, and it restarts', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 200);
    const child = startChild([CHILD, 'run-items', '30'], env.env, { tsx: true });
    const [, id] = await child.waitForLine(/started (\d+)/);
    await child.waitForLine(/write 2\n/);
    // Frozen, so it cannot act on the stop; then killed.
    child.process.kill('SIGSTOP');
    const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 'itemsStep', 10)])]);
    expect((await operator.stop(Number(id))).status).toBe('STOPPING');
    child.process.kill('SIGKILL');
    await child.exited;
    expect(await lapseLeases(env.databases.batch.db)).toBe(1);
    expect((await operator.abandonStale()).map((e) => e.id)).toEqual([Number(id)]);
    const stopped = await operator.repository.getExecutionOrThrow(Number(id));
    expect([stopped.status, stopped.exitCode]).toEqual(['STOPPED', 'STOPPED']);
    expect(stopped.exitMessage).toMatch(/its process died before it could stop/);
    expect((await (await operator.restart(stopped.id, { trigger: 'CLI' })).done).status).toBe('COMPLETED');
    expect(await processedIds(db)).toHaveLength(200);
  });
});
