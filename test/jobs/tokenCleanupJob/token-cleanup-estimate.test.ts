/**
 * tokenCleanupJob's estimate (issue 14): one count per token table, at step start, of the
 * tokens expired at runAt — the same strict boundary as the reader's and the delete's, so
 * on planted data it is exactly what the step then deletes, and a dry run what it would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tokenCleanupJob } from '../../../src/jobs/tokenCleanupJob/token-cleanup-job.js';
import { operatorFor } from '../../engine/harness.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { insertTokens } from './tokens.js';

const runAt = new Date('2026-11-28T02:00:00Z');
const at = (offsetMs: number) => new Date(runAt.getTime() + offsetMs);

describe.each(dialects)('tokenCleanupJob estimate (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it.each([false, true])('each step expects exactly the tokens it then deletes (dry run %s)', async (dryRun) => {
    env = await createTestEnvironment(dialect);
    const expired = Array.from({ length: 230 }, (_, i) => ({ expiry: at(-1 - i * 60_000) }));
    // At runAt, in both stored forms, is not expired (1.2, strictly before): counting them would be off by two.
    const alive = [{ expiry: runAt }, { expiry: runAt, secondsForm: true }, { expiry: at(1) }, { expiry: at(86_400_000) }];
    await insertTokens(env.databases, 'refresh_tokens', [...alive, ...expired, ...alive]);
    await insertTokens(env.databases, 'password_reset_tokens', [...expired.slice(0, 37), ...alive]);
    const operator = operatorFor(env.databases, [tokenCleanupJob({ userDb: env.databases.user, batch: env.databases.batch, chunkSize: 100, retentionDays: 400 })]);

    const done = await (await operator.start('tokenCleanupJob', { parameters: { runAt: runAt.toISOString() }, dryRun, trigger: 'CLI' })).done;

    expect(done.status).toBe('COMPLETED');
    const steps = await operator.repository.stepExecutions(done.id);
    // A dry run's would-writes in written's place: the same figures either way.
    expect(steps.map((s) => [s.stepName, s.estimatedTotal, dryRun ? s.counts.wouldWrite : s.counts.write])).toEqual([
      ['cleanupRefreshTokensStep', 230, 230],
      ['cleanupPasswordResetTokensStep', 37, 37],
      // A tasklet: no estimate; nothing is older than the retention here.
      ['purgeBatchHistoryStep', null, 0],
    ]);
  });
});
