/**
 * Migration 0013 on a batchdb recorded before it: dry runs then counted their would-writes
 * as writes and kept their metrics flat. After it, they read as dry runs (written 0, a
 * would-write count, metrics under `dryRun`), in the repository and the history; real runs
 * are untouched.
 */
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { migrateBatchDb } from '../../src/db/migrate.js';
import { tokenCleanupJob } from '../../src/jobs/tokenCleanupJob/token-cleanup-job.js';
import { operatorFor } from '../engine/harness.js';
import { insertTokens } from '../jobs/tokenCleanupJob/tokens.js';
import { dialects } from '../support/databases.js';
import { describe, expect, test } from '../support/fixtures.js';

const runAt = new Date('2026-11-28T02:00:00Z');

describe.each(dialects)('migration 0013 on dry runs recorded before it (%s)', (dialect) => {
  test.override({ dialect });

  test('moves their write counts to would-write and nests their metrics; real runs keep theirs', async ({ env }) => {
    await insertTokens(env.databases, 'refresh_tokens', [1, 2, 3].map((i) => ({ expiry: new Date(runAt.getTime() - i * 60_000) })));
    const operator = operatorFor(env.databases, [tokenCleanupJob({ userDb: env.databases.user, batch: env.databases.batch, chunkSize: 100, retentionDays: 400 })]);
    const dry = await (await operator.start('tokenCleanupJob', { parameters: { runAt: runAt.toISOString() }, dryRun: true, trigger: 'CLI' })).done;
    const real = await (await operator.start('tokenCleanupJob', { parameters: { runAt: runAt.toISOString() }, trigger: 'CLI' })).done;
    // A fresh batchdb holds nothing past the retention: the purge step's figures are 0.
    const flat = { refreshTokensDeleted: 3, passwordResetTokensDeleted: 0, totalDeleted: 3, executionsDeleted: 0, executionsTrimmed: 0, outboxEventsDeleted: 0, rateLimitWindowsDeleted: 0, outboxMailsDeleted: 0 };
    expect(dry.metrics).toEqual({ dryRun: flat });
    expect(real.metrics).toEqual(flat);

    // Back to the shape of a batchdb before 0013.
    const db = env.databases.batch.db;
    await db.updateTable('batch_step_execution').set({ write_count: sql`would_write_count` }).where('job_execution_id', '=', dry.id).execute();
    await db.updateTable('batch_job_execution').set({ metrics: JSON.stringify(flat) }).where('id', '=', dry.id).execute();
    await db.updateTable('job_execution_history').set({ write_count: sql`would_write_count`, metrics: JSON.stringify(flat) }).where('execution_id', '=', dry.id).execute();
    for (const table of ['batch_step_execution', 'job_execution_history']) await sql`ALTER TABLE ${sql.table(table)} DROP COLUMN would_write_count`.execute(db);
    await sql`DELETE FROM kysely_migration WHERE name = '0013-dry-run-would-write'`.execute(db);

    expect(await migrateBatchDb(env.databases.batch as DatabaseHandle<unknown>)).toEqual(['0013-dry-run-would-write']);

    const counts = async (id: number) => (await operator.repository.stepExecutions(id)).map((s) => [s.counts.write, s.counts.wouldWrite]);
    expect(await counts(dry.id)).toEqual([[0, 3], [0, 0], [0, 0]]);
    expect(await counts(real.id)).toEqual([[3, 0], [0, 0], [0, 0]]);
    expect((await operator.repository.getExecutionOrThrow(dry.id)).metrics).toEqual({ dryRun: flat });
    expect((await operator.repository.getExecutionOrThrow(real.id)).metrics).toEqual(flat);
    const history = await db.selectFrom('job_execution_history').select(['execution_id', 'write_count', 'would_write_count', 'metrics']).orderBy('execution_id').execute();
    expect(history.map((h) => [Number(h.execution_id), Number(h.write_count), Number(h.would_write_count), JSON.parse(h.metrics) as unknown])).toEqual([
      [dry.id, 0, 3, { dryRun: flat }],
      [real.id, 3, 0, flat],
    ]);
  });
});
