/**
 * A job's figures are read from the databases when it ends (alerts recorded, rows
 * suspended). A lost connection there is retried as any read is: the fault harness found
 * a run behind a reset link that ended COMPLETED with no figures at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobDefinition } from '../../src/engine/types.js';
import { createTestEnvironment, type TestEnvironment } from '../support/databases.js';
import { operatorFor } from './harness.js';

describe('a job\'s figures', () => {
  let env: TestEnvironment | undefined;
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
  });

  it('survive a lost connection while they are read, and a lasting failure leaves the run COMPLETED without them', async () => {
    env = await createTestEnvironment('sqlite');
    let calls = 0;
    let failures = 1;
    const job: JobDefinition = {
      name: 'figuresJob',
      description: 'one tasklet, figures read at the end',
      steps: [{ kind: 'tasklet', name: 'noopStep', run: async () => undefined }],
      metrics: async () => {
        calls++;
        if (calls <= failures) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        return { alertes: 7 };
      },
    };
    const operator = operatorFor(env.databases, [job]);

    const first = await (await operator.start('figuresJob', { trigger: 'CLI' })).done;
    expect(first.status).toBe('COMPLETED');
    expect(first.metrics).toEqual({ alertes: 7 });
    expect(calls).toBe(2);

    // Past the retries the run still completes (its work is done); the figures are missing, not invented.
    calls = 0;
    failures = 100;
    const second = await (await operator.start('figuresJob', { trigger: 'CLI' })).done;
    expect(second.status).toBe('COMPLETED');
    expect(second.metrics).toEqual({});
  });
});
