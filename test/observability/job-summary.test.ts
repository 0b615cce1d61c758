/**
 * The Prometheus series read from batchdb come from `batch_job_summary` (issue 22, item 9):
 * one row per job and final status, updated in the transaction that records each run's
 * end, never purged. So the series equal what the repository recorded, no scrape groups
 * over the executions, and a purge of old executions changes none of them (the totals are
 * cumulative counters, as Prometheus counters must be).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { prometheusText } from '../../src/observability/metrics.js';
import { silentLogger } from '../../src/observability/logger.js';
import { DAY_MS, operatorAt, sampleJob, type SampleControl } from '../support/batch-history.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

const JOB = 'summarySampleJob';

/** The exposition lines of the series labelled with this job. */
function seriesOf(text: string, job: string): string[] {
  return text.split('\n').filter((line) => !line.startsWith('#') && (line.includes(`job_name="${job}"`) || line.includes(`name="${job}"`)));
}

describe.each(dialects)('job figures from the per-job summary (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('equal what the repository recorded, and a purge of old executions changes none of them', async () => {
    env = await createTestEnvironment(dialect);
    app = await createApp(env.config, silentLogger);
    const now = new Date();
    let at = new Date(now.getTime() - 500 * DAY_MS);
    const control: SampleControl = { failSecondStep: false, firstStepRuns: 0 };
    const past = operatorAt(env.databases, () => at, [sampleJob(control, JOB)]);
    const run = async (fail: boolean, dryRun = false) => {
      control.failSecondStep = fail;
      at = new Date(at.getTime() + 60_000);
      return (await (await past.start(JOB, { trigger: 'CLI', dryRun })).done);
    };
    // Two successes, a dry run (in no series), then a failure left as it is: the newest, restartable.
    const firstSuccess = await run(false);
    const lastSuccess = await run(false);
    await run(false, true);
    const failure = await run(true);
    expect([firstSuccess.status, lastSuccess.status, failure.status]).toEqual(['COMPLETED', 'COMPLETED', 'FAILED']);

    const before = await prometheusText(app!.metrics.registry);
    const sample = (series: string) => before.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1];
    expect(sample(`batch_job_executions_total{job_name="${JOB}",status="COMPLETED"}`)).toBe('2');
    expect(sample(`batch_job_executions_total{job_name="${JOB}",status="FAILED"}`)).toBe('1');
    expect(sample(`batch_job_last_success_timestamp_seconds{job_name="${JOB}"}`)).toBe(String(lastSuccess.endTime!.getTime() / 1000));
    expect(sample(`batch_job_last_failure_timestamp_seconds{job_name="${JOB}"}`)).toBe(String(failure.endTime!.getTime() / 1000));
    expect(sample(`batch_job_last_run_metric{job_name="${JOB}",metric="itemsSeen"}`)).toBe('3');
    expect(sample(`batch_job_last_duration_seconds{job_name="${JOB}",status="COMPLETED"}`)).toBe('0');
    // The totals are the repository's counts of real runs, by status.
    const recorded = await env.databases.batch.db
      .selectFrom('batch_job_execution')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('job_name', '=', JOB)
      .where('dry_run', '=', 0)
      .groupBy('status')
      .execute();
    expect(Object.fromEntries(recorded.map((r) => [r.status, Number(r.n)]))).toEqual({ COMPLETED: 2, FAILED: 1 });

    const purge = await (await app.operator.start('tokenCleanupJob', { parameters: { runAt: now.toISOString() }, trigger: 'CLI' })).done;
    expect(purge.status, purge.exitMessage ?? '').toBe('COMPLETED');
    // Both successes and the dry run are gone; the failure stays (restartable).
    expect(purge.metrics).toMatchObject({ executionsDeleted: 3 });
    const left = await env.databases.batch.db.selectFrom('batch_job_execution').select('id').where('job_name', '=', JOB).execute();
    expect(left.map((r) => Number(r.id))).toEqual([failure.id]);

    // A scrape reads batchdb once for all its series, and reads it again at the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(seriesOf(await prometheusText(app!.metrics.registry), JOB)).toEqual(seriesOf(before, JOB));
  });
});
