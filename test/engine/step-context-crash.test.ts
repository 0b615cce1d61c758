/**
 * A process killed (SIGKILL) right after a step's end is recorded (found by the fault
 * harness: a link cut there): the job context the step left commits with its end, so the
 * restart, which skips the COMPLETED step, still finds what it put there for the next.
 * Before, the context was saved by a second write after the end, and the restart failed
 * at every attempt (« makeStep left nothing in the job context »).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startChild } from '../support/child.js';
import { lapseLeases } from '../support/leases.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { contextJob, operatorFor } from './harness.js';

describe.each(dialects)('a crash right after a step ends (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('the restart skips the completed step and finds the job context it left', async () => {
    env = await createTestEnvironment(dialect);
    const child = startChild(['test/fixtures/engine-child.ts', 'context-kill'], env.env, { tsx: true });
    const [, id] = await child.waitForLine(/step ended (\d+)/);
    const killed = await child.exited;
    expect(killed.code, killed.stdout + killed.stderr).toBeNull();

    expect(await lapseLeases(env.databases.batch.db)).toBe(1);
    const operator = operatorFor(env.databases, [contextJob()]);
    const [abandoned] = await operator.abandonStale();
    expect(abandoned?.id).toBe(Number(id));
    const done = await (await operator.restart(Number(id), { trigger: 'CLI' })).done;
    expect([done.status, done.exitMessage]).toEqual(['COMPLETED', null]);
    const steps = await operator.repository.stepExecutions(done.id);
    expect(steps.map((s) => s.stepName)).toEqual(['useStep']);
    const context = JSON.parse((await env.databases.batch.db.selectFrom('batch_job_execution').select('execution_context').where('id', '=', done.id).executeTakeFirstOrThrow()).execution_context) as Record<string, unknown>;
    expect(context).toMatchObject({ made: 42, seen: 42 });
  }, 60_000);
});
