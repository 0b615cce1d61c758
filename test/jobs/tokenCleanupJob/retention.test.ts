/**
 * tokenCleanupJob's third step, purgeBatchHistoryStep (issue 22, item 9), on each engine:
 * batchdb history older than BATCH_RETENTION_DAYS before runAt goes, in chunks of
 * TOKEN_CLEANUP_CHUNK_SIZE instances, each its own transaction; what must outlive it stays.
 *
 * The scenario (history recorded 500 days before runAt by the real engine, clock set back):
 *   - 7 completed runs of the sample job, and one instance completed by a restart (2
 *     executions): deleted whole;
 *   - a completed run a person launched (JOB_RUN audited): its row stays, its steps, skip
 *     and history go;
 *   - an instance that failed twice (restartable): kept whole, and restarts afterwards;
 *   - a job whose only run is old: kept (each job's newest execution stays);
 *   - a job still running since then: kept;
 *   - a recent run of the sample job: kept;
 *   - outbox events (old DELIVERED go; recent DELIVERED, old PENDING and FAILED stay) and
 *     rate-limit windows (old go, recent stay).
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { JobAlreadyRunningError } from '../../../src/engine/errors.js';
import type { JobOperator } from '../../../src/engine/job-operator.js';
import { ExecutionReadModel } from '../../../src/engine/execution-read-model.js';
import type { JobDefinition, JobExecution } from '../../../src/engine/types.js';
import { tokenCleanupJob } from '../../../src/jobs/tokenCleanupJob/token-cleanup-job.js';
import { AuditLog } from '../../../src/security/audit-log.js';
import { operatorFor } from '../../engine/harness.js';
import { DAY_MS, inconsistencies, insertEvents, insertMails, insertWindows, operatorAt, rowCounts, SAMPLE_JOB, sampleJob, type SampleControl } from '../../support/batch-history.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';

const RETENTION_DAYS = 400;
const CHUNK = 3;
const PURGE_STEP = 'purgeBatchHistoryStep';

interface Scenario {
  readonly runAt: Date;
  readonly control: SampleControl;
  /** The 7 plain completed runs, oldest first. */
  readonly plain: readonly number[];
  /** The instance completed by a restart: its failed attempt, then the completed one. */
  readonly restartedThenCompleted: readonly number[];
  readonly audited: number;
  /** The instance that failed twice: first attempt, then its failed restart. */
  readonly restartable: readonly number[];
  readonly lonely: number;
  readonly running: number;
  readonly recent: number;
  readonly releaseRunning: () => Promise<JobExecution>;
}

describe.each(dialects)('tokenCleanupJob purges batchdb history past BATCH_RETENTION_DAYS (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  async function scenario(): Promise<Scenario> {
    env = await createTestEnvironment(dialect);
    const runAt = new Date();
    const old = new Date(runAt.getTime() - 500 * DAY_MS);
    const control: SampleControl = { failSecondStep: false, firstStepRuns: 0 };
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: JobDefinition = { name: 'slowJob', description: 'runs until released', steps: [{ kind: 'tasklet', name: 'waitStep', run: () => gate }] };
    const past = operatorAt(env.databases, () => old, [sampleJob(control), sampleJob(control, 'lonelyJob'), slow]);
    const run = async (op: JobOperator, job: string, parameters?: Record<string, string>) => (await (await op.start(job, { parameters, trigger: 'CLI' })).done);

    const plain: number[] = [];
    for (let i = 0; i < 7; i++) plain.push((await run(past, SAMPLE_JOB)).id);
    control.failSecondStep = true;
    const firstAttempt = await run(past, SAMPLE_JOB, { batch: 'y' });
    control.failSecondStep = false;
    const completedByRestart = await (await past.restart(firstAttempt.id, { trigger: 'CLI' })).done;
    const audited = await run(past, SAMPLE_JOB);
    await new AuditLog(env.databases.batch.db).append({ action: 'JOB_RUN', actor: 'alice', target: `${SAMPLE_JOB}#${audited.id}` });
    control.failSecondStep = true;
    const failed = await run(past, SAMPLE_JOB, { batch: 'x' });
    const failedAgain = await (await past.restart(failed.id, { trigger: 'CLI' })).done;
    control.failSecondStep = false;
    const lonely = await run(past, 'lonelyJob');
    const running = await past.start('slowJob', { trigger: 'CLI' });
    const recent = await run(operatorFor(env.databases, [sampleJob(control)]), SAMPLE_JOB);
    expect([...plain.map(() => 'COMPLETED'), completedByRestart.status, audited.status, failedAgain.status, lonely.status, recent.status]).toEqual([
      ...plain.map(() => 'COMPLETED'), 'COMPLETED', 'COMPLETED', 'FAILED', 'COMPLETED', 'COMPLETED',
    ]);

    const recentAt = new Date(runAt.getTime() - DAY_MS);
    await insertEvents(env.databases, [
      ...Array.from({ length: 5 }, () => ({ status: 'DELIVERED' as const, at: old })),
      { status: 'DELIVERED', at: recentAt },
      { status: 'PENDING', at: old },
      { status: 'FAILED', at: old },
    ]);
    await insertWindows(env.databases, [old, old, old, old, recentAt]);
    await insertMails(env.databases, [
      ...Array.from({ length: 4 }, () => ({ status: 'SENT' as const, at: old })),
      { status: 'SENT', at: recentAt },
      { status: 'PENDING', at: old },
    ]);
    control.firstStepRuns = 0;
    return {
      runAt,
      control,
      plain,
      restartedThenCompleted: [firstAttempt.id, completedByRestart.id],
      audited: audited.id,
      restartable: [failed.id, failedAgain.id],
      lonely: lonely.id,
      running: running.execution.id,
      recent: recent.id,
      releaseRunning: async () => {
        release();
        return running.done;
      },
    };
  }

  const cleanup = (chunkSize = CHUNK) => operatorFor(env.databases, [tokenCleanupJob({ userDb: env.databases.user, batch: env.databases.batch, chunkSize, retentionDays: RETENTION_DAYS })]);
  const purge = async (op: JobOperator, runAt: Date, dryRun = false) => {
    const done = await (await op.start('tokenCleanupJob', { parameters: { runAt: runAt.toISOString() }, dryRun, trigger: 'CLI' })).done;
    const step = (await op.repository.stepExecutions(done.id)).find((s) => s.stepName === PURGE_STEP);
    return { done, step: step! };
  };
  const executionIds = async () => (await env.databases.batch.db.selectFrom('batch_job_execution').select('id').orderBy('id').execute()).map((r) => Number(r.id));
  const detailsOf = async (id: number) => {
    const db = env.databases.batch.db;
    const count = async (table: 'batch_step_execution' | 'batch_step_skip', column: 'job_execution_id') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where(column, '=', id).executeTakeFirstOrThrow()).n);
    const history = Number((await db.selectFrom('job_execution_history').select((eb) => eb.fn.countAll<number>().as('n')).where('execution_id', '=', id).executeTakeFirstOrThrow()).n);
    return { steps: await count('batch_step_execution', 'job_execution_id'), skips: await count('batch_step_skip', 'job_execution_id'), history };
  };
  const ALL_FIGURES = { executionsDeleted: 9, executionsTrimmed: 1, outboxEventsDeleted: 5, rateLimitWindowsDeleted: 4, outboxMailsDeleted: 4 };

  it('deletes what is past the retention in chunks, keeps the rest whole, and counts truthfully', async () => {
    const s = await scenario();
    const auditBefore = await env.databases.batch.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    const { done, step } = await purge(cleanup(), s.runAt);

    expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');
    expect(done.metrics).toMatchObject(ALL_FIGURES);
    // 10 executions (9 deleted, 1 trimmed), 5 events, 4 windows, 4 mails: each examined once and purged.
    expect(step.counts).toMatchObject({ read: 23, write: 23, filter: 0, wouldWrite: 0 });
    expect(await inconsistencies(env.databases)).toEqual([]);

    const purged = [...s.plain, ...s.restartedThenCompleted];
    const remaining = await executionIds();
    for (const id of purged) expect(remaining, `execution ${id}`).not.toContain(id);
    for (const id of purged) expect(await detailsOf(id)).toEqual({ steps: 0, skips: 0, history: 0 });
    // Kept whole: restartable, each job's newest, running, recent (and the purging run itself).
    for (const id of [...s.restartable, s.lonely, s.recent]) {
      expect(remaining, `execution ${id}`).toContain(id);
      expect((await detailsOf(id)).steps, `steps of ${id}`).toBeGreaterThan(0);
    }
    expect(remaining).toContain(s.running);
    expect((await detailsOf(s.restartable[0]!)).skips).toBe(1);
    // The purged instances are gone with their executions.
    const instances = await env.databases.batch.db.selectFrom('batch_job_instance').select('identifying_parameters').execute();
    expect(instances.filter((i) => i.identifying_parameters.includes('"batch":"y"'))).toEqual([]);

    // The audited run keeps its summary (what the API lists and shows), not its details.
    const readModel = new ExecutionReadModel(env.databases.batch.db);
    const audited = await cleanup().repository.getExecution(s.audited);
    expect(audited).toMatchObject({ status: 'COMPLETED', jobName: SAMPLE_JOB, metrics: { itemsSeen: 3 } });
    expect(await detailsOf(s.audited)).toEqual({ steps: 0, skips: 0, history: 0 });
    expect((await readModel.findExecutions({ jobName: SAMPLE_JOB, status: 'COMPLETED' }, 0, 50)).items.map((e) => e.id)).toContain(s.audited);
    const marked = await env.databases.batch.db.selectFrom('batch_job_execution').select('details_purged_at').where('id', '=', s.audited).executeTakeFirstOrThrow();
    expect(marked.details_purged_at).not.toBeNull();

    // Events and windows: only the old delivered ones and the old windows went.
    const events = await env.databases.batch.db.selectFrom('event_outbox').select('status').orderBy('id').execute();
    expect(events.map((e) => e.status)).toEqual(['DELIVERED', 'PENDING', 'FAILED']);
    expect(await env.databases.batch.db.selectFrom('rate_limit_window').selectAll().execute()).toHaveLength(1);
    const mails = await env.databases.batch.db.selectFrom('mail_outbox').select('status').orderBy('id').execute();
    expect(mails.map((m) => m.status)).toEqual(['SENT', 'PENDING']);
    // The audit log is never touched, and its chain still holds.
    expect(await env.databases.batch.db.selectFrom('audit_log').selectAll().orderBy('id').limit(auditBefore.length).execute()).toEqual(auditBefore);
    expect(await new AuditLog(env.databases.batch.db).verify()).toMatchObject({ intact: true });

    // The next run finds nothing more: the trimmed run is not examined again.
    const again = await purge(cleanup(), new Date(s.runAt.getTime() + 1000));
    expect(again.step.counts).toMatchObject({ read: 0, write: 0 });
    expect((await s.releaseRunning()).status).toBe('COMPLETED');
  });

  it('a restartable instance keeps every execution: restarting it after the purge resumes where it failed', async () => {
    const s = await scenario();
    await purge(cleanup(), s.runAt);
    const [first, latest] = s.restartable;
    expect(await detailsOf(first!)).toMatchObject({ steps: 2, skips: 1, history: 1 });
    const restarted = await (await operatorAt(env.databases, () => new Date(), [sampleJob(s.control)]).restart(latest!, { trigger: 'CLI' })).done;
    expect(restarted.status, restarted.exitMessage ?? '').toBe('COMPLETED');
    // firstStep completed in the first attempt, whose step rows are still there: skipped.
    expect(s.control.firstStepRuns).toBe(0);
    await s.releaseRunning();
  });

  it('a dry run announces exactly what the real run then purges, and purges nothing', async () => {
    const s = await scenario();
    const before = await rowCounts(env.databases);
    const dry = await purge(cleanup(), s.runAt, true);
    expect(dry.done.status).toBe('COMPLETED');
    expect(dry.done.metrics).toEqual({ dryRun: expect.objectContaining(ALL_FIGURES) });
    const after = await rowCounts(env.databases);
    // The dry run added its own execution (instance, steps, history, audit: none here) and removed nothing.
    for (const table of ['batch_step_skip', 'event_outbox', 'rate_limit_window', 'mail_outbox', 'audit_log']) expect(after[table], table).toBe(before[table]);
    expect(after.batch_job_execution).toBe(before.batch_job_execution! + 1);

    const real = await purge(cleanup(), s.runAt);
    expect(real.done.metrics).toMatchObject(ALL_FIGURES);
    const { read, wouldWrite, filter } = dry.step.counts;
    expect({ read, changed: wouldWrite, filter }).toEqual({ read: real.step.counts.read, changed: real.step.counts.write, filter: real.step.counts.filter });
    expect(real.step.counts.write).toBe(23);
    await s.releaseRunning();
  });

  it('a failure after the first chunk leaves whole chunks done and the rest untouched; the restart finishes', async () => {
    const s = await scenario();
    // The second chunk holds plain runs 4 to 6: deleting the steps of run 5 is refused by the database.
    const refused = s.plain[4]!;
    await (dialect === 'sqlite'
      ? sql`CREATE TRIGGER refuse_purge BEFORE DELETE ON batch_step_execution WHEN OLD.job_execution_id = ${sql.lit(refused)} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`
      : sql`CREATE TRIGGER refuse_purge BEFORE DELETE ON batch_step_execution FOR EACH ROW BEGIN IF OLD.job_execution_id = ${sql.lit(refused)} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END`
    ).execute(env.databases.batch.db);
    const op = cleanup();
    const { done, step } = await purge(op, s.runAt);

    expect(done.status).toBe('FAILED');
    expect(done.exitMessage).toContain('injected failure');
    expect(await inconsistencies(env.databases)).toEqual([]);
    const remaining = await executionIds();
    // Chunk 1 (plain runs 1–3) is gone whole; chunk 2 rolled back whole: runs 4–6 and their details are there.
    for (const id of s.plain.slice(0, 3)) expect(remaining).not.toContain(id);
    for (const id of s.plain.slice(3)) {
      expect(remaining).toContain(id);
      expect(await detailsOf(id)).toEqual({ steps: 2, skips: 1, history: 1 });
    }
    expect(step.counts).toMatchObject({ read: 3, write: 3 });
    expect(step.context).toMatchObject({ phase: 'executions', figures: { executionsDeleted: 3 } });

    await sql`DROP TRIGGER refuse_purge`.execute(env.databases.batch.db);
    const restarted = await (await op.restart(done.id, { trigger: 'CLI' })).done;
    expect(restarted.status, restarted.exitMessage ?? '').toBe('COMPLETED');
    expect(restarted.metrics).toMatchObject(ALL_FIGURES);
    // The token steps completed before the failure: the restart runs the purge step alone, from its saved state.
    const [purgeStep, ...others] = await op.repository.stepExecutions(restarted.id);
    expect(others).toEqual([]);
    expect(purgeStep?.stepName).toBe(PURGE_STEP);
    expect(purgeStep?.counts).toMatchObject({ read: 23, write: 23, filter: 0 });
    expect(await inconsistencies(env.databases)).toEqual([]);
    for (const id of [...s.plain, ...s.restartedThenCompleted]) expect(await executionIds()).not.toContain(id);
    await s.releaseRunning();
  });

  it('never draws a run.id again after a purge, and concurrent launches draw different ones', async () => {
    const s = await scenario();
    const runIds = async () =>
      (await env.databases.batch.db.selectFrom('batch_job_instance').select('identifying_parameters').where('job_name', '=', SAMPLE_JOB).execute())
        .map((r) => (JSON.parse(r.identifying_parameters) as Record<string, string>)['run.id'])
        .filter((v): v is string => v !== undefined)
        .map(Number);
    const drawnBefore = await runIds();
    expect(drawnBefore).toHaveLength(9);
    await purge(cleanup(), s.runAt);
    expect(await runIds()).toHaveLength(2);

    const op = operatorFor(env.databases, [sampleJob(s.control)]);
    const next = await (await op.start(SAMPLE_JOB, { trigger: 'CLI' })).done;
    const drawn = Number(next.parameters['run.id']?.value);
    expect(drawnBefore, `run.id ${drawn} drawn again`).not.toContain(drawn);
    expect(drawn).toBeGreaterThan(Math.max(...drawnBefore));

    // Eight launches at once: those that find the job running are told so (one run per job),
    // the others run (the job is quick: a launch may come after the one before ended), each
    // with a number of its own; no launch fails otherwise.
    const launches = await Promise.allSettled(Array.from({ length: 8 }, () => op.start(SAMPLE_JOB, { trigger: 'CLI' })));
    const started = launches.filter((l): l is PromiseFulfilledResult<Awaited<ReturnType<JobOperator['start']>>> => l.status === 'fulfilled');
    expect(started.length).toBeGreaterThanOrEqual(1);
    for (const l of launches.filter((l) => l.status === 'rejected')) expect((l as PromiseRejectedResult).reason).toBeInstanceOf(JobAlreadyRunningError);
    const ran = await Promise.all(started.map((l) => l.value.done));
    const concurrentIds = ran.map((e) => Number(e.parameters['run.id']?.value)).sort((a, b) => a - b);
    expect(concurrentIds).toEqual(Array.from({ length: ran.length }, (_, i) => drawn + 1 + i));
    const afterConcurrent = await runIds();
    expect(new Set(afterConcurrent).size).toBe(afterConcurrent.length);
    await s.releaseRunning();
  });
});
