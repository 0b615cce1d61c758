/**
 * Properties 1, 3 and 4 of tokenCleanupJob over random data, on each database engine.
 * One environment per property; each run starts from emptied token tables and uses its
 * own job instance.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkStep, JobDefinition } from '../../../src/engine/types.js';
import { tokenCleanupJob } from '../../../src/jobs/tokenCleanupJob/token-cleanup-job.js';
import { operatorFor } from '../../engine/harness.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { clearTokens, insertTokens, remainingExpiries, TABLES, type TokenSpec } from './tokens.js';

const runAtArb = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true });
/** Tokens around runAt: within seconds of it (both stored forms), and far on either side. */
const tokensArb = (runAt: Date) =>
  fc.array(
    fc.record({
      offsetMs: fc.oneof(
        fc.integer({ min: -2_000, max: 2_000 }),
        fc.constantFrom(-1000, -1, 0, 1, 1000),
        fc.integer({ min: -400 * 86_400_000, max: 400 * 86_400_000 }),
      ),
      secondsForm: fc.boolean(),
    }),
    { maxLength: 120 },
  ).map((specs) => specs.map((s): TokenSpec => ({ expiry: new Date(runAt.getTime() + s.offsetMs), secondsForm: s.secondsForm })));

/** runAt goes up to 2035: a retention counted from it would purge the runs of earlier cases. */
const KEEP_ALL = 36_500;
const NOTHING_PURGED = { executionsDeleted: 0, executionsTrimmed: 0, outboxEventsDeleted: 0, rateLimitWindowsDeleted: 0, outboxMailsDeleted: 0 };
const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
const runs = (sqliteRuns: number) => (dialect: string) => (dialect === 'sqlite' ? sqliteRuns : Math.ceil(sqliteRuns / 3));

/** The job with a crash injected before or after the n-th chunk write (after = committed, not checkpointed). */
function withCrash(job: JobDefinition, crashAtWrite: number, afterCommit: boolean, fired: { done: boolean }): JobDefinition {
  let writes = 0;
  return {
    ...job,
    steps: job.steps.map((step) => {
      if (step.kind !== 'chunk') return step;
      const chunk = step as ChunkStep<number>;
      return {
        ...chunk,
        writer: (ctx) => {
          const real = chunk.writer(ctx);
          return {
            async write(ids) {
              const crashNow = !fired.done && ++writes === crashAtWrite;
              if (crashNow && !afterCommit) throw ((fired.done = true), new Error('injected crash before commit'));
              const n = await real.write(ids);
              if (crashNow) throw ((fired.done = true), new Error('injected crash after commit'));
              return n;
            },
          };
        },
      };
    }),
  };
}

describe.each(dialects)('tokenCleanupJob properties (%s)', (dialect) => {
  let env: TestEnvironment;
  let instance = 0;
  beforeAll(async () => {
    env = await createTestEnvironment(dialect);
  });
  afterAll(() => env?.cleanup());

  /**
   * What must remain: the stored values, not the generated ones — MariaDB's DATETIME
   * (docs/databases.md) keeps whole seconds, so the rule applies to what the table holds.
   */
  const survivors = async (runAt: Date) => {
    const [refresh, reset] = await Promise.all(TABLES.map((t) => remainingExpiries(env.databases, t)));
    expect(refresh).toEqual(reset);
    return (refresh ?? []).filter((t) => t >= runAt.getTime());
  };

  const launch = (job: JobDefinition, runAt: Date, checkpointIntervalMs = 0) => {
    const operator = operatorFor(env.databases, [job], { checkpointIntervalMs });
    return { operator, start: () => operator.start(job.name, { parameters: { runAt: runAt.toISOString(), instance: String(++instance) }, trigger: 'CLI' }) };
  };

  it('Property 1: exactly the tokens with expiry_date < runAt are deleted', async () => {
    await fc.assert(
      fc.asyncProperty(runAtArb, fc.boolean(), fc.gen(), async (rawRunAt, whole, gen) => {
        const runAt = whole ? wholeSeconds(rawRunAt) : rawRunAt;
        const tokens = gen(tokensArb, runAt);
        await clearTokens(env.databases);
        await insertTokens(env.databases, 'refresh_tokens', tokens);
        await insertTokens(env.databases, 'password_reset_tokens', tokens);
        const expected = await survivors(runAt);
        const { start } = launch(tokenCleanupJob({ userDb: env.databases.user, batch: env.databases.batch, chunkSize: 7, retentionDays: KEEP_ALL }), runAt);
        expect((await (await start()).done).status).toBe('COMPLETED');
        for (const table of TABLES) expect(await remainingExpiries(env.databases, table)).toEqual(expected);
      }),
      { numRuns: runs(40)(dialect) },
    );
  });

  it('Property 3: any chunk size and any crash point reach the end state of an uninterrupted run', async () => {
    await fc.assert(
      fc.asyncProperty(
        runAtArb,
        fc.gen(),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.boolean(),
        fc.constantFrom(0, 3_600_000),
        async (runAt, gen, chunkSize, crashAtWrite, afterCommit, checkpointIntervalMs) => {
          const tokens = gen(tokensArb, runAt);
          await clearTokens(env.databases);
          await insertTokens(env.databases, 'refresh_tokens', tokens);
          await insertTokens(env.databases, 'password_reset_tokens', tokens);
          const expected = await survivors(runAt);
          const fired = { done: false };
          const job = withCrash(tokenCleanupJob({ userDb: env.databases.user, batch: env.databases.batch, chunkSize, retentionDays: KEEP_ALL }), crashAtWrite, afterCommit, fired);
          const { operator, start } = launch(job, runAt, checkpointIntervalMs);
          let execution = await (await start()).done;
          if (fired.done) {
            expect(execution.status).toBe('FAILED');
            execution = await (await operator.restart(execution.id, { trigger: 'CLI' })).done;
          }
          expect(execution.status).toBe('COMPLETED');
          for (const table of TABLES) expect(await remainingExpiries(env.databases, table)).toEqual(expected);
        },
      ),
      { numRuns: runs(40)(dialect) },
    );
  });

  it('Property 4: the recorded counts equal the rows actually deleted', async () => {
    await fc.assert(
      fc.asyncProperty(runAtArb, fc.gen(), fc.gen(), fc.integer({ min: 1, max: 150 }), async (runAt, genA, genB, chunkSize) => {
        const refresh = genA(tokensArb, runAt);
        const reset = genB(tokensArb, runAt);
        await clearTokens(env.databases);
        await insertTokens(env.databases, 'refresh_tokens', refresh);
        await insertTokens(env.databases, 'password_reset_tokens', reset);
        const { operator, start } = launch(tokenCleanupJob({ userDb: env.databases.user, batch: env.databases.batch, chunkSize, retentionDays: KEEP_ALL }), runAt);
        const done = await (await start()).done;
        const deletedRefresh = refresh.length - (await remainingExpiries(env.databases, 'refresh_tokens')).length;
        const deletedReset = reset.length - (await remainingExpiries(env.databases, 'password_reset_tokens')).length;
        expect(done.metrics).toEqual({
          refreshTokensDeleted: deletedRefresh,
          passwordResetTokensDeleted: deletedReset,
          totalDeleted: deletedRefresh + deletedReset,
          ...NOTHING_PURGED,
        });
        const history = await env.databases.batch.db.selectFrom('job_execution_history').selectAll().where('execution_id', '=', done.id).executeTakeFirstOrThrow();
        expect(Number(history.write_count)).toBe(deletedRefresh + deletedReset);
        const steps = await operator.repository.stepExecutions(done.id);
        expect(steps.map((s) => s.counts.write)).toEqual([deletedRefresh, deletedReset, 0]);
      }),
      { numRuns: runs(40)(dialect) },
    );
  });
});
