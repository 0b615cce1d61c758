/**
 * A crash between any two writes of dureeDoctoratAlertJob, then a restart, leaves exactly
 * the alerts, events and suspensions of an uninterrupted run, and the alert counts of one:
 * no missing, no duplicate. The fault persists until the "process" (its operator) is
 * replaced, as a crash would: the skip policy's item-by-item scan cannot absorb it, so the
 * restart branch is always taken.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkStep, JobDefinition } from '../../../src/engine/types.js';
import { operatorFor } from '../../engine/harness.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { alertJob, alertState, seedDoctorants, type AlertState } from './fixtures.js';

type CrashPoint = 'afterAlertsRecorded' | 'afterSuspensions';

/** Every band, several chunks each (chunk size 4). */
const DATES = Array.from({ length: 40 }, (_, i) => {
  const year = 2017 + (i % 8);
  const month = String(1 + ((i * 5) % 12)).padStart(2, '0');
  const day = String(1 + ((i * 7) % 28)).padStart(2, '0');
  return `${year}-${month}-${day}`;
});
const runAt = '2026-03-15T12:00:00Z';

async function reset(env: TestEnvironment): Promise<void> {
  await env.databases.batch.db.deleteFrom('alerte_duree_envoyee').execute();
  await env.databases.batch.db.deleteFrom('event_outbox').execute();
  await env.databases.inscription.db.deleteFrom('inscriptions').execute();
  await env.databases.user.db.deleteFrom('user_roles').execute();
  await env.databases.user.db.deleteFrom('users').execute();
  await seedDoctorants(env, DATES);
}

/** The job whose n-th chunk write crashes at the given point; every write after it fails too. */
function crashingJob(env: TestEnvironment, crashAt: number, point: CrashPoint): JobDefinition {
  let writes = 0;
  let crashed = false;
  const crashNow = () => {
    if (writes >= crashAt) crashed = true;
    return crashed;
  };
  const job = alertJob(env, {
    chunkSize: 4,
    afterAlertsRecorded: () => {
      writes++;
      if (point === 'afterAlertsRecorded' && crashNow()) throw new Error('crash between alert record and suspension');
      if (crashed) throw new Error('the process is dead');
    },
  });
  return {
    ...job,
    steps: job.steps.map((step) => {
      const chunk = step as ChunkStep<unknown, unknown>;
      return {
        ...chunk,
        writer: (ctx) => {
          const real = chunk.writer(ctx);
          return {
            async write(items) {
              const n = await real.write(items);
              if (point === 'afterSuspensions' && crashNow()) throw new Error('crash after the chunk, before its checkpoint');
              return n;
            },
          };
        },
      };
    }),
  };
}

describe.each(dialects)('dureeDoctoratAlertJob crash safety (%s)', (dialect) => {
  let env: TestEnvironment;
  let expected: AlertState;
  let expectedMetrics: Record<string, unknown>;
  let writeCalls = 0;
  let instance = 0;
  beforeAll(async () => {
    env = await createTestEnvironment(dialect);
    await reset(env);
    const operator = operatorFor(env.databases, [alertJob(env, { chunkSize: 4, afterAlertsRecorded: () => void writeCalls++ })]);
    const done = await (await operator.start('dureeDoctoratAlertJob', { parameters: { runAt, instance: 'reference' }, trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    expected = await alertState(env);
    expectedMetrics = done.metrics;
    expect(expected.alerts.length).toBeGreaterThan(12);
    expect(expectedMetrics.totalAlertes).toBe(expected.alerts.length);
    expect(writeCalls).toBeGreaterThanOrEqual(8);
  });
  afterAll(() => env?.cleanup());

  it('restart after a crash at any write yields exactly the uninterrupted result', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom<CrashPoint>('afterAlertsRecorded', 'afterSuspensions'),
        fc.constantFrom(0, 3_600_000),
        async (crashAt, point, checkpointIntervalMs) => {
          await reset(env);
          const dying = operatorFor(env.databases, [crashingJob(env, crashAt, point)], { checkpointIntervalMs });
          const crashed = await (await dying.start('dureeDoctoratAlertJob', { parameters: { runAt, instance: String(++instance) }, trigger: 'CLI' })).done;
          expect(crashed.status).toBe('FAILED');
          // A new process restarts it.
          const restarted = operatorFor(env.databases, [alertJob(env, { chunkSize: 4 })], { checkpointIntervalMs });
          const execution = await (await restarted.restart(crashed.id, { trigger: 'CLI' })).done;
          expect(execution.status).toBe('COMPLETED');
          expect(await alertState(env)).toEqual(expected);
          expect(execution.metrics).toEqual(expectedMetrics);
          // Every chunk step's counts add up: nothing read is unaccounted for.
          for (const step of await restarted.repository.stepExecutions(execution.id)) {
            const { read, write, filter, processSkip, writeSkip } = step.counts;
            expect(read, step.stepName).toBe(write + filter + processSkip + writeSkip);
          }
        },
      ),
      { numRuns: dialect === 'sqlite' ? 25 : 10 },
    );
  });
});
