/**
 * The figures of every job at a real size, on both engines: demo data at scale 3 (more rows
 * than every page and chunk size of the five jobs: 20, 50, 100, 500, 2,000), and batchdb
 * history older than BATCH_RETENTION_DAYS for tokenCleanupJob's purge (more records than
 * its chunk of 100), each job run as a simulation and then for real on the same data and
 * `runAt`.
 *   - A simulation announces exactly what the real run then does: per step, its would-write
 *     is the real run's write and its read, filter and skip counts are the same; the job's
 *     figures are the same figures.
 *   - Every step of every run keeps the count invariant: no negative count, and written +
 *     would-write + filtered + skipped ≤ read where read is counted (equal for chunk steps).
 *   - Prometheus's item counters and job figures equal the repository's after those runs.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { generateDemoData } from '../../src/db/fixtures/demo-data.js';
import { skipCount, type JobExecution, type StepExecution } from '../../src/engine/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { AuditLog } from '../../src/security/audit-log.js';
import { DAY_MS, insertEvents, insertMails, insertWindows, operatorAt, SAMPLE_JOB, sampleJob, type SampleControl } from '../support/batch-history.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

const REFERENCE = new Date('2026-11-30T08:00:00Z');
const RUN_AT = '2026-11-30T08:00:00Z';
const JOBS = ['tokenCleanupJob', 'dureeDoctoratAlertJob', 'monthlyReportJob', 'archiveJob', 'dataConsistencyJob'] as const;
/** Figures that describe the run itself, not the data: a simulation's cannot equal the real run's. */
const RUN_ONLY = new Set(['generationMs', 'pdfSizeBytes', 'pdfPages', 'durationMs']);

interface Run {
  readonly execution: JobExecution;
  readonly steps: readonly StepExecution[];
}

type Counter = { get(): Promise<{ values: { labels: Record<string, string | number>; value: number }[] }> };

async function counterValues(counter: Counter): Promise<Map<string, number>> {
  const { values } = await counter.get();
  return new Map(values.map((v) => [JSON.stringify(v.labels, Object.keys(v.labels).sort()), v.value]));
}

function figuresOf(execution: JobExecution): Record<string, number> {
  const raw = (execution.dryRun ? (execution.metrics as { dryRun?: object }).dryRun ?? {} : execution.metrics) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(raw).filter((e): e is [string, number] => typeof e[1] === 'number' && !RUN_ONLY.has(e[0])));
}

describe.each(dialects)('the five jobs at scale 3 (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App;
  const runs = new Map<string, { dry: Run; real: Run }>();
  const before = new Map<string, Map<string, number>>();
  const after = new Map<string, Map<string, number>>();
  const counters = () => ({ read: app.metrics.itemsRead, write: app.metrics.itemsWritten, filter: app.metrics.itemsFiltered, skip: app.metrics.itemsSkipped, figure: app.metrics.jobMetricTotal }) as unknown as Record<string, Counter>;

  beforeAll(async () => {
    env = await createTestEnvironment(dialect, { ARCHIVE_KEYS: `k1:${randomBytes(32).toString('base64')}`, BATCH_TIMEZONE: 'Europe/Paris' });
    await generateDemoData(env.databases, { uploadsDir: env.config.uploadsDir, scale: 3, referenceDate: REFERENCE });
    await seedOldHistory(env);
    app = await createApp(env.config, silentLogger);
    for (const [name, counter] of Object.entries(counters())) before.set(name, await counterValues(counter));
    const run = async (jobName: string, dryRun: boolean): Promise<Run> => {
      const execution = await (await app.operator.start(jobName, { parameters: { runAt: RUN_AT }, dryRun, trigger: 'CLI' })).done;
      return { execution, steps: await app.repository.stepExecutions(execution.id) };
    };
    for (const job of JOBS) {
      const dry = await run(job, true);
      const real = await run(job, false);
      runs.set(job, { dry, real });
    }
    for (const [name, counter] of Object.entries(counters())) after.set(name, await counterValues(counter));
  }, 600_000);

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it.each(JOBS)('%s: the simulation announces what the real run then does', (job) => {
    const { dry, real } = runs.get(job)!;
    expect(dry.execution.status, dry.execution.exitMessage ?? '').toBe('COMPLETED');
    expect(real.execution.status, real.execution.exitMessage ?? '').toBe('COMPLETED');
    const announced = dry.steps.map((s) => ({ step: s.stepName, read: s.counts.read, changes: s.counts.wouldWrite, filter: s.counts.filter, skip: skipCount(s.counts), write: s.counts.write }));
    const done = real.steps.map((s) => ({ step: s.stepName, read: s.counts.read, changes: s.counts.write, filter: s.counts.filter, skip: skipCount(s.counts), write: 0 }));
    expect(announced).toEqual(done);
    const dryFigures = figuresOf(dry.execution);
    const realFigures = figuresOf(real.execution);
    const shared = Object.keys(dryFigures).filter((k) => k in realFigures);
    expect(shared.length, `no figure of ${job} is announced by its simulation: ${JSON.stringify(dryFigures)}`).toBeGreaterThan(0);
    expect(Object.fromEntries(shared.map((k) => [k, dryFigures[k]]))).toEqual(Object.fromEntries(shared.map((k) => [k, realFigures[k]])));
  });

  it('a run had work to do in every job: the data is larger than its pages', () => {
    const read = (job: string) => Math.max(...runs.get(job)!.real.steps.map((s) => s.counts.read));
    expect(read('tokenCleanupJob')).toBeGreaterThan(2_000);
    expect(read('dureeDoctoratAlertJob')).toBeGreaterThan(50);
    expect(read('archiveJob')).toBeGreaterThan(20);
    expect(read('dataConsistencyJob')).toBeGreaterThan(500);
    const purge = runs.get('tokenCleanupJob')!.real.steps.find((s) => s.stepName === 'purgeBatchHistoryStep');
    expect(purge?.counts.read).toBeGreaterThan(100);
    expect(runs.get('tokenCleanupJob')!.real.execution.metrics).toMatchObject({ executionsDeleted: 22, executionsTrimmed: 1, outboxEventsDeleted: 150, rateLimitWindowsDeleted: 120, outboxMailsDeleted: 130 });
  });

  it('every step of every run keeps the count invariant', () => {
    for (const [job, { dry, real }] of runs) {
      for (const [step, kind] of [...dry.steps.map((s) => [s, 'simulation'] as const), ...real.steps.map((s) => [s, 'real run'] as const)]) {
        const c = step.counts;
        const where = `${job} ${step.stepName} (${kind}): ${JSON.stringify(c)}`;
        for (const value of Object.values(c)) expect(value, where).toBeGreaterThanOrEqual(0);
        const decided = c.write + c.wouldWrite + c.filter + skipCount(c);
        if (c.read > 0) expect(decided, where).toBeLessThanOrEqual(c.read);
      }
    }
  });

  it('Prometheus counts what the repository recorded for the real runs, and nothing of the simulations', () => {
    const delta = (name: string, labels: Record<string, string>) => {
      const key = JSON.stringify(labels, Object.keys(labels).sort());
      return (after.get(name)!.get(key) ?? 0) - (before.get(name)!.get(key) ?? 0);
    };
    for (const [job, { real }] of runs) {
      for (const step of real.steps) {
        const labels = { job_name: job, step_name: step.stepName };
        expect([delta('read', labels), delta('write', labels), delta('filter', labels), delta('skip', labels)], `${job} ${step.stepName}`).toEqual([
          step.counts.read,
          step.counts.write,
          step.counts.filter,
          skipCount(step.counts),
        ]);
      }
      for (const [metric, value] of Object.entries(real.execution.metrics)) {
        if (typeof value === 'number' && value >= 0) expect(delta('figure', { job_name: job, metric }), `${job} ${metric}`).toBe(value);
      }
    }
  });
});

/**
 * batchdb history from 500 days before runAt, recorded by the real engine: 25 runs of a
 * sample job, the newest kept by the purge (each job's newest stays), one a person
 * launched (kept as a summary); one failed run left restartable (kept whole); 150
 * delivered events, 120 rate-limit windows and 130 sent failure mails.
 */
async function seedOldHistory(env: TestEnvironment): Promise<void> {
  const old = new Date(new Date(RUN_AT).getTime() - 500 * DAY_MS);
  const control: SampleControl = { failSecondStep: false, firstStepRuns: 0 };
  const past = operatorAt(env.databases, () => old, [sampleJob(control)]);
  const ids: number[] = [];
  for (let i = 0; i < 25; i++) {
    control.failSecondStep = i === 12;
    ids.push((await (await past.start(SAMPLE_JOB, { trigger: 'CLI', parameters: { n: String(i) } })).done).id);
  }
  await new AuditLog(env.databases.batch.db).append({ action: 'JOB_RUN', actor: 'alice', target: `${SAMPLE_JOB}#${ids[3]}` });
  await insertEvents(env.databases, Array.from({ length: 150 }, () => ({ status: 'DELIVERED' as const, at: old })));
  await insertWindows(env.databases, Array.from({ length: 120 }, () => old));
  await insertMails(env.databases, Array.from({ length: 130 }, () => ({ status: 'SENT' as const, at: old })));
}
