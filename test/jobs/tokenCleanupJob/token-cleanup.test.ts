import { tokenCleanupJob } from '../../../src/jobs/tokenCleanupJob/token-cleanup-job.js';
import { dialects } from '../../support/databases.js';
import { describe, expect, test } from '../../support/fixtures.js';
import { operatorFor } from '../../engine/harness.js';
import { insertTokens, remainingExpiries } from './tokens.js';
import type { UserDb } from '../../../src/db/schema/sibling-tables.js';
import { openWithLostAcks } from '../../support/lost-ack.js';

const runAt = new Date('2026-11-28T02:00:00Z');
/** The purge step's figures when batchdb holds nothing older than the retention. */
const NOTHING_PURGED = { executionsDeleted: 0, executionsTrimmed: 0, outboxEventsDeleted: 0, rateLimitWindowsDeleted: 0, outboxMailsDeleted: 0 };
const at = (offsetMs: number) => new Date(runAt.getTime() + offsetMs);

describe.each(dialects)('tokenCleanupJob (%s)', (dialect) => {
  test.override({ dialect });

  test('deletes tokens that expired strictly before runAt, in two steps of 100-item chunks, and records the counts', async ({ env }) => {
    const expired = Array.from({ length: 250 }, (_, i) => ({ expiry: at(-1 - i * 60_000) }));
    const alive = [{ expiry: runAt }, { expiry: runAt, secondsForm: true }, { expiry: at(1) }, { expiry: at(86_400_000) }];
    await insertTokens(env.databases, 'refresh_tokens', [...expired, ...alive]);
    await insertTokens(env.databases, 'password_reset_tokens', [...expired.slice(0, 40), ...alive]);
    const operator = operatorFor(env.databases, [tokenCleanupJob({ userDb: env.databases.user, batch: env.databases.batch, chunkSize: 100, retentionDays: 400 })]);

    const done = await (await operator.start('tokenCleanupJob', { parameters: { runAt: runAt.toISOString() }, trigger: 'CLI' })).done;

    expect(done.status).toBe('COMPLETED');
    expect(done.metrics).toEqual({ refreshTokensDeleted: 250, passwordResetTokensDeleted: 40, totalDeleted: 290, ...NOTHING_PURGED });
    const steps = await operator.repository.stepExecutions(done.id);
    expect(steps.map((s) => [s.stepName, s.status, s.counts.read, s.counts.write, s.counts.commit])).toEqual([
      ['cleanupRefreshTokensStep', 'COMPLETED', 250, 250, 3],
      ['cleanupPasswordResetTokensStep', 'COMPLETED', 40, 40, 1],
      ['purgeBatchHistoryStep', 'COMPLETED', 0, 0, 1],
    ]);
    expect(await remainingExpiries(env.databases, 'refresh_tokens')).toHaveLength(4);
    expect(await remainingExpiries(env.databases, 'password_reset_tokens')).toHaveLength(4);

    const history = await env.databases.batch.db.selectFrom('job_execution_history').selectAll().execute();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ job_name: 'tokenCleanupJob', status: 'COMPLETED', trigger_type: 'CLI' });
    expect(Number(history[0]?.write_count)).toBe(290);
    expect(JSON.parse(history[0]?.metrics ?? '{}')).toEqual(done.metrics);
  });

  test('a dry run counts what it would delete and deletes nothing', async ({ env }) => {
    await insertTokens(env.databases, 'refresh_tokens', [{ expiry: at(-5_000) }, { expiry: at(5_000) }]);
    const operator = operatorFor(env.databases, [tokenCleanupJob({ userDb: env.databases.user, batch: env.databases.batch, chunkSize: 100, retentionDays: 400 })]);
    const dry = await (await operator.start('tokenCleanupJob', { parameters: { runAt: runAt.toISOString() }, dryRun: true, trigger: 'CLI' })).done;
    expect(dry.status).toBe('COMPLETED');
    // Marked as what it would do: nested, never beside real figures.
    expect(dry.metrics).toEqual({ dryRun: { refreshTokensDeleted: 1, passwordResetTokensDeleted: 0, totalDeleted: 1, ...NOTHING_PURGED } });
    const [refresh] = await operator.repository.stepExecutions(dry.id);
    expect(refresh?.counts).toMatchObject({ read: 1, write: 0, wouldWrite: 1 });
    expect(await remainingExpiries(env.databases, 'refresh_tokens')).toHaveLength(2);
    // The dry run is its own instance: the real run with the same runAt still goes ahead.
    const real = await (await operator.start('tokenCleanupJob', { parameters: { runAt: runAt.toISOString() }, trigger: 'CLI' })).done;
    expect(real.status).toBe('COMPLETED');
    expect(await remainingExpiries(env.databases, 'refresh_tokens')).toHaveLength(1);
  });

  test('a chunk whose DELETE committed but whose acknowledgement was lost counts as deleted, not filtered, when retried (found by the fault harness)', async ({ env }) => {
    await insertTokens(env.databases, 'refresh_tokens', Array.from({ length: 250 }, (_, i) => ({ expiry: at(-1 - i * 60_000) })));
    const before = await remainingExpiries(env.databases, 'refresh_tokens');
    const lost = openWithLostAcks<UserDb>(env, 'user');
    try {
      const userDb = { ...env.databases.user, db: lost.db };
      const operator = operatorFor(env.databases, [tokenCleanupJob({ userDb, batch: env.databases.batch, chunkSize: 100, retentionDays: 400 })]);
      // A chunk's DELETE commits, then the caller is told ECONNRESET; the engine retries it.
      lost.loseNext(/^delete from .refresh_tokens./i);
      const done = await (await operator.start('tokenCleanupJob', { parameters: { runAt: runAt.toISOString() }, trigger: 'CLI' })).done;
      expect(lost.lost, 'the fault fired').toHaveLength(1);
      expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');
      // The recount, in plain terms: every row that was there and is gone was deleted by this run.
      const deleted = before.length - (await remainingExpiries(env.databases, 'refresh_tokens')).length;
      expect(deleted).toBe(250);
      expect(done.metrics).toMatchObject({ refreshTokensDeleted: deleted });
      const [refresh] = await operator.repository.stepExecutions(done.id);
      expect(refresh?.counts).toMatchObject({ read: 250, write: deleted, filter: 0 });
    } finally {
      await lost.close();
    }
  });

  test('rejects a runAt that is not an instant', async ({ env }) => {
    const operator = operatorFor(env.databases, [tokenCleanupJob({ userDb: env.databases.user, batch: env.databases.batch, chunkSize: 100, retentionDays: 400 })]);
    await expect(operator.start('tokenCleanupJob', { parameters: { runAt: 'tomorrow' }, trigger: 'CLI' })).rejects.toThrow(/ISO-8601/);
  });
});
