/**
 * Property 53 (8.1): after any sequence of runs, the executions Prometheus counts per job
 * and status (`spring_batch_job_seconds_count`) are the repository's.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDefinition } from '../../src/engine/types.js';
import { metricsListener } from '../../src/observability/metrics-listener.js';
import { createBatchMetrics } from '../../src/observability/metrics.js';
import { operatorFor } from '../engine/harness.js';
import { createTestEnvironment, type TestEnvironment } from '../support/databases.js';

const JOBS = ['promCountJobA', 'promCountJobB'];

/** The metrics these operators feed, and nothing else. */
const metrics = createBatchMetrics();

async function prometheusCounts(): Promise<Map<string, number>> {
  const { values } = await metrics.jobSeconds.get();
  return new Map(
    values
      .filter((v) => v.metricName === 'spring_batch_job_seconds_count' && JOBS.includes(String(v.labels.name)))
      .map((v) => [`${v.labels.name}/${v.labels.status}`, v.value]),
  );
}

describe('Prometheus counts follow the repository (sqlite)', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment('sqlite');
  });
  afterAll(() => env?.cleanup());

  it('Property 53: per job and status, the metric equals the executions recorded', async () => {
    const outcome = new Map<string, 'COMPLETED' | 'FAILED' | 'STOPPED'>();
    const job = (name: string): JobDefinition => ({
      name,
      description: 'ends as told',
      steps: [
        {
          kind: 'tasklet',
          name: 'tellStep',
          run: async (ctx) => {
            const wanted = outcome.get(name);
            if (wanted === 'FAILED') throw new Error('told to fail');
            if (wanted === 'STOPPED') {
              await operator.stop(ctx.jobExecutionId);
              throw ctx.signal.reason as Error;
            }
          },
        },
      ],
    });
    const operator = operatorFor(env.databases, JOBS.map(job), { listeners: [metricsListener(metrics)] });
    const baseline = await prometheusCounts();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...JOBS), fc.constantFrom('COMPLETED', 'FAILED', 'STOPPED') as fc.Arbitrary<'COMPLETED' | 'FAILED' | 'STOPPED'>), { maxLength: 8 }), async (runs) => {
        for (const [name, wanted] of runs) {
          outcome.set(name, wanted);
          expect((await (await operator.start(name, { trigger: 'CLI' })).done).status).toBe(wanted);
        }
        const rows = await env.databases.batch.db
          .selectFrom('batch_job_execution')
          .select(['job_name', 'status', (eb) => eb.fn.countAll<number>().as('n')])
          .where('job_name', 'in', JOBS)
          .groupBy(['job_name', 'status'])
          .execute();
        const counted = await prometheusCounts();
        const keys = new Set([...counted.keys(), ...rows.map((r) => `${r.job_name}/${r.status}`)]);
        for (const key of keys) {
          const recorded = Number(rows.find((r) => `${r.job_name}/${r.status}` === key)?.n ?? 0);
          expect((counted.get(key) ?? 0) - (baseline.get(key) ?? 0), key).toBe(recorded);
        }
      }),
      { numRuns: 25 },
    );
  });
});
