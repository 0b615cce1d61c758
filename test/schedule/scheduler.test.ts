/**
 * The scheduler over a real batchdb: replicas firing the same schedule make one run, and a
 * fire missed while the service was down runs once at start-up within the grace period.
 * Fires are driven with an explicit fire time and clock, never by waiting for the clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ExecutionReadModel } from '../../src/engine/execution-read-model.js';
import type { JobOperator } from '../../src/engine/job-operator.js';
import type { JobDefinition } from '../../src/engine/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Scheduler, type FireOutcome } from '../../src/schedule/scheduler.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { operatorFor } from '../engine/harness.js';

const ZONE = 'Europe/Paris';
const DAILY_2AM = [{ jobName: 'gatedJob', cron: '0 0 2 * * ?' }];

/** A job whose only step waits until the test opens the gate: "still running" without timing. */
function gatedJob() {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const job: JobDefinition = { name: 'gatedJob', description: 'waits for the test', steps: [{ kind: 'tasklet', name: 'waitStep', run: () => gate }] };
  return { job, open };
}

function schedulerFor(operator: JobOperator, options: { now?: string; graceMs?: number } = {}) {
  return new Scheduler(operator, DAILY_2AM, {
    timeZone: ZONE,
    misfireGraceMs: options.graceMs ?? 3_600_000,
    logger: silentLogger,
    clock: options.now ? () => new Date(options.now!) : undefined,
  });
}

const launched = (outcomes: readonly FireOutcome[]) => outcomes.filter((o) => o.result === 'launched');

describe.each(dialects)('scheduler (%s)', (dialect) => {
  let env: TestEnvironment;
  const schedulers: Scheduler[] = [];
  afterEach(async () => {
    schedulers.splice(0).forEach((s) => s.stop());
    await env?.cleanup();
  });

  it('two replicas firing the same fire time make one run, before and after it completes', async () => {
    env = await createTestEnvironment(dialect);
    const { job, open } = gatedJob();
    const replicaA = schedulerFor(operatorFor(env.databases, [job]));
    const replicaB = schedulerFor(operatorFor(env.databases, [job]));
    const fireTime = new Date('2026-03-29T01:00:00Z');

    const outcomes = await Promise.all([replicaA.fire('gatedJob', fireTime), replicaB.fire('gatedJob', fireTime)]);
    expect(outcomes.map((o) => o.result).sort()).toEqual(['launched', 'refused']);
    const [run] = launched(outcomes);
    open();
    const finished = await (run as Extract<FireOutcome, { result: 'launched' }>).done;
    expect(finished.status).toBe('COMPLETED');
    expect(finished.parameters.runAt).toEqual({ value: '2026-03-29T01:00:00.000Z', identifying: true });
    expect(finished.trigger).toBe('SCHEDULED');

    // A late timer on either replica asks for the same instance, which is complete.
    const late = await Promise.all([replicaA.fire('gatedJob', fireTime), replicaB.fire('gatedJob', fireTime)]);
    expect(late.map((o) => o.result)).toEqual(['refused', 'refused']);
    const page = await new ExecutionReadModel(env.databases.batch.db).listExecutions('gatedJob', 0, 10);
    expect(page.total).toBe(1);
  });

  it('a fire missed while down runs once at start-up within the grace period; restarts do not repeat it', async () => {
    env = await createTestEnvironment(dialect);
    const { job, open } = gatedJob();
    open();
    // Down from 8 to 10 March 02:30 (Paris): the fires of the 9th and 10th were missed; only the latest runs.
    const first = schedulerFor(operatorFor(env.databases, [job]), { now: '2026-03-10T01:30:00Z' });
    schedulers.push(first);
    const outcomes = await first.start();
    expect(outcomes.map((o) => [o.result, o.fireTime.toISOString()])).toEqual([['launched', '2026-03-10T01:00:00.000Z']]);
    expect((await (launched(outcomes)[0] as Extract<FireOutcome, { result: 'launched' }>).done).status).toBe('COMPLETED');

    const again = schedulerFor(operatorFor(env.databases, [job]), { now: '2026-03-10T01:40:00Z' });
    schedulers.push(again);
    expect(await again.start()).toEqual([]);
    const page = await new ExecutionReadModel(env.databases.batch.db).listExecutions('gatedJob', 0, 10);
    expect(page.total).toBe(1);
    expect(page.items[0]?.triggeredBy).toBe('scheduler (misfire)');
  });

  it('a missed fire older than the grace period, or with misfire handling off, does not run', async () => {
    env = await createTestEnvironment(dialect);
    const { job, open } = gatedJob();
    open();
    const tooLate = schedulerFor(operatorFor(env.databases, [job]), { now: '2026-03-10T02:00:01Z' });
    schedulers.push(tooLate);
    expect(await tooLate.start()).toEqual([]);
    const off = schedulerFor(operatorFor(env.databases, [job]), { now: '2026-03-10T01:30:00Z', graceMs: 0 });
    schedulers.push(off);
    expect(await off.start()).toEqual([]);
    expect((await new ExecutionReadModel(env.databases.batch.db).listExecutions('gatedJob', 0, 10)).total).toBe(0);
    expect(tooLate.nextRuns().get('gatedJob')?.toISOString()).toBe('2026-03-11T01:00:00.000Z');
  });
});
