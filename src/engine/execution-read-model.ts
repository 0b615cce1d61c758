/**
 * What the API's and the CLI's listings read: the newest execution of each job, pages of
 * a job's executions or of all of them, the items an execution skipped, and the version
 * row that says when any execution changed. The run protocol (job-repository.ts) writes;
 * this only reads.
 */
import type { CompiledQuery, Kysely } from 'kysely';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { parseSqlTimestamp } from '../db/sql-time.js';
import { SUMMARY_COLUMNS, toExecution, toStepExecution, toSummary, type SummaryRow } from './execution-rows.js';
import type { SkipRecord } from './step-repository.js';
import type { BatchStatus, JobExecution, JobExecutionSummary, StepExecution } from './types.js';

export interface ExecutionPage {
  readonly total: number;
  readonly items: readonly JobExecution[];
}

export interface ExecutionFilter {
  readonly jobName?: string;
  readonly status?: BatchStatus;
}

export interface SummaryPage {
  readonly total: number;
  readonly items: readonly JobExecutionSummary[];
}

/** A skip as batch_step_skip keeps it: `item` is JSON text, cut at 4000 characters. */
export interface RecordedSkip extends SkipRecord {
  readonly recordedAt: Date;
}

export class ExecutionReadModel {
  // The job list's queries (`GET /api/batch/jobs`, one per request), built once: Kysely's
  // building of a query cost as much as SQLite's running it (bench/README.md).
  private readonly newestPerJob: CompiledQuery<SummaryRow>;
  private readonly executionsVersionQuery: CompiledQuery<{ version: number }>;

  constructor(private readonly db: Kysely<BatchDb>) {
    this.newestPerJob = db
      .selectFrom('batch_job_execution')
      .select(SUMMARY_COLUMNS)
      .where('id', 'in', (eb) => eb.selectFrom('batch_job_execution').select((e) => e.fn.max('id').as('id')).groupBy('job_name'))
      .compile();
    this.executionsVersionQuery = db.selectFrom('batch_job_execution_version').select('version').where('id', '=', 1).compile();
  }

  /**
   * A number that changes whenever an execution is created, updated or deleted, by any
   * process (the triggers of migration 0006). Read it before what it guards: what is
   * read after is then at least as new as the version.
   */
  async executionsVersion(): Promise<number> {
    const { rows } = await this.db.executeQuery(this.executionsVersionQuery);
    return Number(rows[0]?.version ?? 0);
  }

  /**
   * The newest execution of each job that has one, in one query; while a job runs, its
   * running one (one run per job).
   */
  async lastExecutions(): Promise<ReadonlyMap<string, JobExecutionSummary>> {
    const { rows } = await this.db.executeQuery(this.newestPerJob);
    return new Map(rows.map((row) => [row.job_name, toSummary(row)]));
  }

  /**
   * Per job, from its summary rows (`batch_job_summary`, one small table kept up to date at
   * each run's end, never purged): the numeric metrics of its newest COMPLETED run, when
   * its newest COMPLETED and FAILED runs ended, and per final status how many runs ever
   * ended and how long the newest took. Dry runs are left out: they changed nothing.
   */
  async jobFigures(): Promise<{
    lastRunMetrics: Map<string, Record<string, number>>;
    lastSuccess: Map<string, Date>;
    lastFailure: Map<string, Date>;
    executions: Map<string, Map<string, number>>;
    lastDurationMs: Map<string, Map<string, number>>;
  }> {
    const rows = await this.db.selectFrom('batch_job_summary').selectAll().orderBy('job_name').orderBy('status').execute();
    const numeric = (json: string) =>
      Object.fromEntries(Object.entries(JSON.parse(json) as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));
    const ended = (status: string) =>
      new Map(rows.filter((r) => r.status === status && r.last_end_time !== null).map((r) => [r.job_name, parseSqlTimestamp(String(r.last_end_time))]));
    const byStatus = (value: (row: (typeof rows)[number]) => number | null) => {
      const figures = new Map<string, Map<string, number>>();
      for (const row of rows) {
        const v = value(row);
        if (v === null) continue;
        figures.set(row.job_name, (figures.get(row.job_name) ?? new Map<string, number>()).set(row.status, v));
      }
      return figures;
    };
    return {
      lastRunMetrics: new Map(rows.filter((r) => r.status === 'COMPLETED' && r.last_metrics !== null).map((r) => [r.job_name, numeric(r.last_metrics!)])),
      lastSuccess: ended('COMPLETED'),
      lastFailure: ended('FAILED'),
      executions: byStatus((r) => Number(r.executions)),
      lastDurationMs: byStatus((r) => (r.last_duration_ms === null ? null : Number(r.last_duration_ms))),
    };
  }

  /** Executions of a job, newest first. */
  async listExecutions(jobName: string, page: number, size: number): Promise<ExecutionPage> {
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('batch_job_execution')
        .selectAll()
        .where('job_name', '=', jobName)
        .orderBy('id', 'desc')
        .limit(size)
        .offset(page * size)
        .execute(),
      this.db
        .selectFrom('batch_job_execution')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('job_name', '=', jobName)
        .executeTakeFirstOrThrow(),
    ]);
    return { total: Number(total.n), items: rows.map(toExecution) };
  }

  /**
   * The step executions of each of these executions, in the order they ran, in one query
   * (a page of executions printed with their steps, not one query per execution).
   *
   * @example
   * const steps = await readModel.stepsOf(page.items.map((e) => e.id));
   */
  async stepsOf(executionIds: readonly number[]): Promise<ReadonlyMap<number, readonly StepExecution[]>> {
    const steps = new Map<number, StepExecution[]>(executionIds.map((id) => [id, []]));
    if (executionIds.length === 0) return steps;
    const rows = await this.db.selectFrom('batch_step_execution').selectAll().where('job_execution_id', 'in', executionIds).orderBy('id').execute();
    for (const row of rows) steps.get(Number(row.job_execution_id))?.push(toStepExecution(row));
    return steps;
  }

  /**
   * For each of these executions that was restarted, the execution that restarted it (its
   * `restart_of` is the id): what superseded it, so a person acts on that one instead.
   * An execution restarts at most once (a second restart is refused), so one id each.
   *
   * @example
   * const supersededBy = await readModel.supersedingOf(page.items.map((e) => e.id));
   */
  async supersedingOf(executionIds: readonly number[]): Promise<ReadonlyMap<number, number>> {
    if (executionIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('batch_job_execution')
      .select(['restart_of', (eb) => eb.fn.min('id').as('id')])
      .where('restart_of', 'in', executionIds)
      .groupBy('restart_of')
      .execute();
    return new Map(rows.map((row) => [Number(row.restart_of), Number(row.id)]));
  }

  /**
   * Executions of every job, newest first, narrowed to one job, one status or both.
   * Summary columns only: a page of runs does not need their contexts and metrics.
   *
   * @example
   * const failed = await readModel.findExecutions({ status: 'FAILED' }, 0, 20);
   */
  async findExecutions(filter: ExecutionFilter, page: number, size: number): Promise<SummaryPage> {
    const matching = this.db
      .selectFrom('batch_job_execution')
      .$if(filter.jobName !== undefined, (q) => q.where('job_name', '=', filter.jobName!))
      .$if(filter.status !== undefined, (q) => q.where('status', '=', filter.status!));
    const [rows, total] = await Promise.all([
      matching.select(SUMMARY_COLUMNS).orderBy('id', 'desc').limit(size).offset(page * size).execute(),
      matching.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { total: Number(total.n), items: rows.map(toSummary) };
  }

  /**
   * The items an execution skipped, in the order they were skipped, with the total.
   *
   * @example
   * const { total, items } = await readModel.listSkips(12, 0, 20);
   */
  async listSkips(jobExecutionId: number, page: number, size: number): Promise<{ readonly total: number; readonly items: readonly RecordedSkip[] }> {
    const [rows, total] = await Promise.all([
      this.db.selectFrom('batch_step_skip').selectAll().where('job_execution_id', '=', jobExecutionId).orderBy('id').limit(size).offset(page * size).execute(),
      this.db
        .selectFrom('batch_step_skip')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('job_execution_id', '=', jobExecutionId)
        .executeTakeFirstOrThrow(),
    ]);
    return {
      total: Number(total.n),
      items: rows.map((r) => ({
        jobExecutionId: Number(r.job_execution_id),
        stepExecutionId: Number(r.step_execution_id),
        stepName: r.step_name,
        phase: r.phase as RecordedSkip['phase'],
        item: r.item,
        reason: r.reason,
        recordedAt: parseSqlTimestamp(r.created_at),
      })),
    };
  }
}
