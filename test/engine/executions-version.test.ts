/**
 * The executions version (migration 0006): every insert, update and delete of an
 * execution moves it, whichever connection makes it; other tables leave it alone.
 * The API's job list relies on it to rebuild only what changed.
 */
import { openDatabase } from '../../src/db/connect.js';
import { ExecutionReadModel } from '../../src/engine/execution-read-model.js';
import type { BatchDb } from '../../src/db/schema/batch-tables.js';
import { dialects } from '../support/databases.js';
import { describe, expect, test } from '../support/fixtures.js';
import { createItems, itemsJob, itemsStep, operatorFor } from './harness.js';

describe.each(dialects)('executions version (%s)', (dialect) => {
  test.override({ dialect });

  test('moves on every change of an execution, by this process or another connection, and on nothing else', async ({ env }) => {
    const db = await createItems(env.databases, 5);
    const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 'itemsStep', 2)])]);
    const reads = new ExecutionReadModel(env.databases.batch.db);
    const versions = [await reads.executionsVersion()];
    const moved = async () => {
      versions.push(await reads.executionsVersion());
      return versions.at(-1)! !== versions.at(-2)!;
    };

    const { execution, done } = await operator.start('itemsJob', { trigger: 'CLI' });
    await done;
    expect(await moved()).toBe(true);

    // Step executions, history and audit rows are other tables.
    await env.databases.batch.db.updateTable('batch_step_execution').set({ exit_message: 'noted' }).execute();
    await env.databases.batch.db.deleteFrom('job_execution_history').execute();
    expect(await moved()).toBe(false);

    const elsewhere = openDatabase<BatchDb>(env.config.databases.batch, env.config.pool);
    try {
      await elsewhere.db.updateTable('batch_job_execution').set({ exit_message: 'seen elsewhere' }).where('id', '=', execution.id).execute();
      expect(await moved()).toBe(true);
      await elsewhere.db.deleteFrom('batch_step_execution').execute();
      await elsewhere.db.deleteFrom('batch_job_execution').execute();
      expect(await moved()).toBe(true);
    } finally {
      await elsewhere.close();
    }
    // Never back to an earlier value: a reader holding an old version always sees the move.
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });
});
