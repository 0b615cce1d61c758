/**
 * A job's figures are read from the databases when it ends (alerts recorded, rows
 * suspended). A lost connection there is retried as any read is; past the retries the run
 * ends FAILED and its restart reads them. The fault harness found runs that ended
 * COMPLETED with no figures at all, behind a reset link and a locked table.
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

  it('survive a lost connection while they are read; past the retries the run fails, and its restart reads them without redoing a step', async () => {
    env = await createTestEnvironment('sqlite');
    let calls = 0;
    let failures = 1;
    let stepRuns = 0;
    const job: JobDefinition = {
      name: 'figuresJob',
      description: 'one tasklet, figures read at the end',
      steps: [{ kind: 'tasklet', name: 'workStep', run: async () => void stepRuns++ }],
      metrics: async () => {
        calls++;
        if (calls <= failures) throw Object.assign(new Error('Lock wait timeout exceeded'), { code: 'ER_LOCK_WAIT_TIMEOUT' });
        return { alertes: 7 };
      },
    };
    const operator = operatorFor(env.databases, [job]);

    const first = await (await operator.start('figuresJob', { trigger: 'CLI' })).done;
    expect(first.status).toBe('COMPLETED');
    expect(first.metrics).toEqual({ alertes: 7 });
    expect(calls).toBe(2);

    calls = 0;
    failures = 4; // every attempt of the retry policy
    const second = await (await operator.start('figuresJob', { trigger: 'CLI' })).done;
    expect(second.status).toBe('FAILED');
    expect(second.exitMessage).toBe('its figures could not be read: Lock wait timeout exceeded');
    expect(stepRuns).toBe(2);

    const restarted = await (await operator.restart(second.id, { trigger: 'CLI' })).done;
    expect(restarted.status).toBe('COMPLETED');
    expect(restarted.metrics).toEqual({ alertes: 7 });
    expect(stepRuns).toBe(2);
  });
});
