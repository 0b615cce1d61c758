/**
 * A run whose end cannot be recorded (batchdb gone at that moment) never rejects its
 * `done`, so nothing reaches Node as an unhandled rejection: the run resolves UNRECORDED,
 * the repository keeps it STARTED, the sweep marks it abandoned and it restarts.
 */
import { vi } from 'vitest';
import { JobOperator } from '../../src/engine/job-operator.js';
import { JobRepository } from '../../src/engine/job-repository.js';
import { silentLogger } from '../../src/observability/logger.js';
import { dialects } from '../support/databases.js';
import { describe, expect, test } from '../support/fixtures.js';
import { createItems, itemsJob, itemsStep, operatorFor, processedIds } from './harness.js';

/** batchdb refusing connections exactly when the end of a run is written. */
class RepositoryDownAtTheEnd extends JobRepository {
  override async finishExecution(): Promise<never> {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
  }
}

describe.each(dialects)('batchdb gone when a run ends (%s)', (dialect) => {
  test.override({ dialect });

  test('done resolves UNRECORDED after the retries, no unhandled rejection; the sweep abandons it and it restarts', async ({ env }) => {
    const db = await createItems(env.databases, 30);
    const job = itemsJob(db, [itemsStep(db, 'itemsStep', 10)]);
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const operator = new JobOperator(new RepositoryDownAtTheEnd(env.databases.batch.db), [job], {
        heartbeatIntervalMs: 50,
        heartbeatTimeoutMs: 400,
        checkpointIntervalMs: 0,
        logger: silentLogger,
        retryHooks: { sleep: async () => undefined },
      });
      const { execution, done } = await operator.start('itemsJob', { trigger: 'SCHEDULED' });
      const ended = await done;
      expect([ended.status, ended.exitCode]).toEqual(['FAILED', 'UNRECORDED']);
      expect(ended.exitMessage).toMatch(/ECONNREFUSED/);
      expect((await operator.repository.getExecutionOrThrow(execution.id)).status).toBe('STARTED');

      // batchdb is back: another process's sweep finds the run silent and abandons it.
      const healthy = operatorFor(env.databases, [job], { heartbeatTimeoutMs: 400 });
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect((await healthy.abandonStale()).map((e) => e.id)).toEqual([execution.id]);
      const restarted = await (await healthy.restart(execution.id, { trigger: 'CLI' })).done;
      expect(restarted.status).toBe('COMPLETED');
      expect(await processedIds(db)).toHaveLength(30);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});
