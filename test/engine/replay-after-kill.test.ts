/**
 * The design's trailing checkpoint under a real kill: tokenCleanupJob is killed (SIGKILL)
 * with many chunks committed since its last checkpoint, then restarted by another process.
 * The end state is an uninterrupted run's; the counts the deleted tokens can no longer be
 * recounted from are reported as a lower bound, not as exact figures.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { sqlTimestamp } from '../../src/db/sql-time.js';
import { ROOT, runCli, startChild } from '../support/child.js';
import { lapseLeases } from '../support/leases.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

const CLI = path.join(ROOT, 'dist/cli.js');
const RUN_AT = '2026-11-28T02:00:00.000Z';

describe.each(dialects)('replay after a kill with trailing checkpoints (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('kill -9 mid-run, restart: no expired token left, counts flagged as a lower bound', async () => {
    env = await createTestEnvironment(dialect, {
      TOKEN_CLEANUP_CHUNK_SIZE: '1',
      BATCH_CHECKPOINT_INTERVAL_MS: '600000',
    });
    expect((await runCli(['demo-data', '--scale', '1'], env.env)).code).toBe(0);
    const expired = async () =>
      Number(
        (await env.databases.user.db
          .selectFrom('refresh_tokens')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('expiry_date', '<', sqlTimestamp(new Date(RUN_AT)))
          .executeTakeFirstOrThrow()).n,
      );
    const before = await expired();
    expect(before).toBeGreaterThan(1_000);
    const all = async () => Number((await env.databases.user.db.selectFrom('refresh_tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const valid = (await all()) - before;

    const run = startChild([CLI, 'run', 'tokenCleanupJob', '--param', `runAt=${RUN_AT}`], { ...env.env, LOG_LEVEL: 'info' });
    const [, id] = await run.waitForStderr(/tokenCleanupJob started \(execution (\d+)\)/);
    // Several hundred chunks committed, none checkpointed (the first checkpoint is 10 minutes away).
    for (let i = 0; i < 400 && before - (await expired()) < 300; i++) await sleep(25);
    run.process.kill('SIGKILL');
    await run.exited;
    const left = await expired();
    expect(before - left).toBeGreaterThanOrEqual(300);
    expect(left).toBeGreaterThan(0);

    // The killed run's lease, lapsed: the restart's sweep finds it dead.
    expect(await lapseLeases(env.databases.batch.db)).toBe(1);
    const restarted = await runCli(['restart', id!, '--json'], env.env);
    expect(restarted.code, restarted.stderr).toBe(0);
    const result = JSON.parse(restarted.stdout) as { status: string; exitMessage: string | null; metrics: Record<string, unknown> };
    expect(result.status).toBe('COMPLETED');
    expect(await expired()).toBe(0);
    expect(await all()).toBe(valid);
    // Deleted before the kill, never checkpointed, gone from the database: not counted, and said so.
    expect(result.metrics.refreshTokensDeleted).toBeLessThan(before);
    expect(result.metrics.stepCountsComplete).toBe(false);
    expect(result.exitMessage).toMatch(/counts of cleanupRefreshTokensStep are a lower bound/);
  }, 120_000);
});
