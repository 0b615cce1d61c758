/**
 * Launch is one compare-and-set in the database (JobRepository.launch): a launch that
 * decided on an execution another launch has since replaced is refused, so an instance
 * that just completed never runs again and a failed execution restarts once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JobAlreadyRunningError, JobLaunchConflictError, JobRestartError } from '../../src/engine/errors.js';
import { createTestEnvironment, dialects, mariadbUrl, type TestEnvironment } from '../support/databases.js';
import { gate } from '../http/api-harness.js';
import { createItems, itemsJob, itemsStep, operatorFor } from './harness.js';

async function failedExecution(env: TestEnvironment) {
  const db = await createItems(env.databases, 20);
  let fail = true;
  const job = itemsJob(db, [itemsStep(db, 'itemsStep', 5, { beforeWrite: () => { if (fail) throw new Error('injected'); } })]);
  const operator = operatorFor(env.databases, [job]);
  const first = await (await operator.start('itemsJob', { parameters: { runAt: '2026-05-01T00:00:00Z' }, trigger: 'CLI' })).done;
  expect(first.status).toBe('FAILED');
  fail = false;
  return { operator, first };
}

const countExecutions = async (env: TestEnvironment) =>
  Number((await env.databases.batch.db.selectFrom('batch_job_execution').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

describe.each(dialects)('atomic launch (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('two restarts of one FAILED execution at once: one runs, the other is refused', async () => {
    env = await createTestEnvironment(dialect);
    const { operator, first } = await failedExecution(env);
    const results = await Promise.allSettled([operator.restart(first.id, { trigger: 'CLI' }), operator.restart(first.id, { trigger: 'CLI' })]);
    const launched = results.filter((r) => r.status === 'fulfilled');
    expect(launched).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected')!.reason as Error;
    // Serialised, the second sees the first's execution; interleaved, the run slot or the compare-and-set refuses it.
    expect([JobRestartError, JobAlreadyRunningError, JobLaunchConflictError].some((type) => refused instanceof type), `${refused.name}: ${refused.message}`).toBe(true);
    expect((await launched[0]!.value.done).status).toBe('COMPLETED');
    expect(await countExecutions(env)).toBe(2);
  });
});

describe.each(dialects)('refused launches leave nothing behind (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('a launch with new parameters while the job runs is refused without creating its instance', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 10);
    const release = gate();
    const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 'itemsStep', 5, { beforeWrite: () => release.wait })])]);
    const running = await operator.start('itemsJob', { parameters: { runAt: '2026-05-01T00:00:00Z' }, trigger: 'CLI' });
    const instances = async () => (await env.databases.batch.db.selectFrom('batch_job_instance').select('id').execute()).length;
    expect(await instances()).toBe(1);
    await expect(operator.start('itemsJob', { parameters: { runAt: '2026-06-01T00:00:00Z' }, trigger: 'CLI' })).rejects.toBeInstanceOf(JobAlreadyRunningError);
    await expect(operator.start('itemsJob', { trigger: 'CLI' })).rejects.toBeInstanceOf(JobAlreadyRunningError);
    expect(await instances()).toBe(1);
    release.open();
    expect((await running.done).status).toBe('COMPLETED');
  });
});

// Interleaving inside one process needs two connections in flight: MariaDB's pool. (On
// SQLite every launch takes the write lock at `begin immediate` and they cannot interleave.)
describe.skipIf(!mariadbUrl)('atomic launch, interleaving injected (mysql)', () => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('a launch that decided on a FAILED execution while another restarted it to COMPLETED is refused', async () => {
    env = await createTestEnvironment('mysql');
    const { operator, first } = await failedExecution(env);
    const { repository } = operator;
    const decided = gate();
    const proceed = gate();
    // The slow launch reads the instance's current execution (the FAILED one), then waits.
    const slow = repository.launch({
      jobName: 'itemsJob',
      identifying: { runAt: first.parameters.runAt! },
      decide: async (current) => {
        expect(current?.id).toBe(first.id);
        decided.open();
        await proceed.wait;
        return { jobName: 'itemsJob', parameters: first.parameters, dryRun: false, trigger: 'CLI', triggeredBy: null, restartOf: first.id, context: {} };
      },
    });
    slow.catch(() => undefined);
    await decided.wait;
    // Meanwhile another launch restarts it, and the restart completes: the instance is done.
    const restarted = await (await operator.restart(first.id, { trigger: 'CLI' })).done;
    expect(restarted.status).toBe('COMPLETED');
    proceed.open();
    await expect(slow).rejects.toBeInstanceOf(JobLaunchConflictError);
    expect(await countExecutions(env)).toBe(2);
    expect((await repository.lastExecutionOfInstance(first.instanceId))?.id).toBe(restarted.id);
  });
});
