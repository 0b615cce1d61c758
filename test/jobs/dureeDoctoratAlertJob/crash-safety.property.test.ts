/**
 * A crash between any two writes of dureeDoctoratAlertJob, then a restart, leaves exactly
 * the alerts, events and suspensions of an uninterrupted run: no missing, no duplicate.
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

/** The job whose n-th chunk write crashes at the given point, once. */
function crashingJob(env: TestEnvironment, crashAt: number, point: CrashPoint): JobDefinition {
  let writes = 0;
  let crashed = false;
  const crashNow = () => !crashed && writes === crashAt && (crashed = true);
  const job = alertJob(env, {
    chunkSize: 4,
    afterAlertsRecorded: () => {
      writes++;
      if (point === 'afterAlertsRecorded' && crashNow()) throw new Error('crash between alert record and suspension');
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
  let instance = 0;
  beforeAll(async () => {
    env = await createTestEnvironment(dialect);
    await reset(env);
    const operator = operatorFor(env.databases, [alertJob(env, { chunkSize: 4 })]);
    const done = await (await operator.start('dureeDoctoratAlertJob', { parameters: { runAt, instance: 'reference' }, trigger: 'CLI' })).done;
    expect(done.status).toBe('COMPLETED');
    expected = await alertState(env);
    expect(expected.alerts.length).toBeGreaterThan(12);
  });
  afterAll(() => env?.cleanup());

  it('restart after a crash at any write yields exactly the uninterrupted result', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 14 }),
        fc.constantFrom<CrashPoint>('afterAlertsRecorded', 'afterSuspensions'),
        fc.constantFrom(0, 3_600_000),
        async (crashAt, point, checkpointIntervalMs) => {
          await reset(env);
          const operator = operatorFor(env.databases, [crashingJob(env, crashAt, point)], { checkpointIntervalMs });
          let execution = await (await operator.start('dureeDoctoratAlertJob', { parameters: { runAt, instance: String(++instance) }, trigger: 'CLI' })).done;
          if (execution.status === 'FAILED') execution = await (await operator.restart(execution.id, { trigger: 'CLI' })).done;
          expect(execution.status).toBe('COMPLETED');
          expect(await alertState(env)).toEqual(expected);
        },
      ),
      { numRuns: dialect === 'sqlite' ? 25 : 10 },
    );
  });
});
