/**
 * The step executions and skipped items of the job repository, in batchdb. Every write
 * is fenced by the run's lease (lease-fence.ts) and lands once when retried after a lost
 * acknowledgement: a step by its execution and name, a skip by its key.
 */
import { expressionBuilder, sql, type Insertable, type Kysely } from 'kysely';
import { isUniqueViolation } from '../db/errors.js';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { parseSqlTimestamp, sqlTimestampMillis } from '../db/sql-time.js';
import { toStepExecution } from './execution-rows.js';
import { expectOwned, owned, type ExecutionLease } from './lease-fence.js';
import { ZERO_COUNTS, type JsonObject, type StepCounts, type StepExecution } from './types.js';

export interface SkipRecord {
  readonly jobExecutionId: number;
  readonly stepExecutionId: number;
  readonly stepName: string;
  readonly phase: 'READ' | 'PROCESS' | 'WRITE';
  readonly item: string;
  readonly reason: string;
  /**
   * Drawn once per skip before its first attempt: a retry after a lost acknowledgement
   * finds its own row by it and records nothing more.
   */
  readonly key?: string;
}

export class StepRepository {
  constructor(
    private readonly db: Kysely<BatchDb>,
    private readonly clock: () => Date,
  ) {}

  private now(): string {
    return sqlTimestampMillis(this.clock());
  }

  /**
   * Inserted only while the lease holds (INSERT … SELECT from the owned execution row).
   * A step runs once per execution, so a row already there for this execution and step
   * is this call's own, committed by an attempt whose acknowledgement was lost: it is
   * returned, not doubled (a second row would stay STARTED, closed by nothing).
   */
  async createStepExecution(lease: ExecutionLease, stepName: string, from?: { counts: StepCounts; context: JsonObject }): Promise<StepExecution> {
    const existing = await this.stepOf(lease, stepName);
    if (existing) return existing;
    const now = this.now();
    const counts = countColumns(from?.counts ?? ZERO_COUNTS);
    const values = {
      job_execution_id: lease.id,
      step_name: stepName,
      status: 'STARTED',
      exit_code: 'EXECUTING',
      exit_message: null,
      ...counts,
      execution_context: JSON.stringify(from?.context ?? {}),
      start_time: now,
      end_time: null,
      last_updated: now,
    };
    expectOwned(await this.insertWhileOwned('batch_step_execution', values, lease), lease, `step ${stepName} was not started`);
    const created = await this.stepOf(lease, stepName);
    if (!created) throw new Error(`step ${stepName} of execution ${lease.id} vanished from the repository`);
    return created;
  }

  private async stepOf(lease: ExecutionLease, stepName: string): Promise<StepExecution | undefined> {
    const row = await this.db
      .selectFrom('batch_step_execution')
      .selectAll()
      .where('job_execution_id', '=', lease.id)
      .where('step_name', '=', stepName)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toStepExecution(row);
  }

  /**
   * The checkpoint: counts and context together, so a restart resumes from a consistent
   * pair. The step's estimate rides along, so the first checkpoint makes it visible.
   */
  async saveStepProgress(lease: ExecutionLease, step: StepExecution): Promise<void> {
    const result = await this.db
      .updateTable('batch_step_execution')
      .set({ ...countColumns(step.counts), estimated_total: step.estimatedTotal, execution_context: JSON.stringify(step.context), last_updated: this.now() })
      .where('id', '=', step.id)
      .where((eb) => eb.exists(eb.selectFrom('batch_job_execution').select('id').where((w) => owned(w, lease))))
      .executeTakeFirst();
    expectOwned(result.numUpdatedRows, lease, `the checkpoint of ${step.stepName} was not saved`);
  }

  /**
   * The step's end, and with `jobContext` the job context as the step leaves it, in one
   * transaction: a restart never finds a COMPLETED step (which it skips) without what the
   * step put in the job context for the steps after it. Both updates are by key: a retry
   * after a lost acknowledgement writes the same values again.
   */
  async finishStep(lease: ExecutionLease, step: StepExecution, jobContext?: JsonObject): Promise<StepExecution> {
    const now = this.now();
    await this.db.transaction().execute(async (tx) => {
      if (jobContext !== undefined) {
        const saved = await tx
          .updateTable('batch_job_execution')
          .set({ execution_context: JSON.stringify(jobContext), last_updated: now })
          .where((eb) => owned(eb, lease))
          .executeTakeFirst();
        expectOwned(saved.numUpdatedRows, lease, `the job context left by ${step.stepName} was not saved`);
      }
      const ended = await tx
        .updateTable('batch_step_execution')
        .set({
          ...countColumns(step.counts),
          estimated_total: step.estimatedTotal,
          status: step.status,
          exit_code: step.exitCode,
          exit_message: step.exitMessage,
          execution_context: JSON.stringify(step.context),
          end_time: now,
          last_updated: now,
        })
        .where('id', '=', step.id)
        .where((eb) => eb.exists(eb.selectFrom('batch_job_execution').select('id').where((w) => owned(w, lease))))
        .executeTakeFirst();
      expectOwned(ended.numUpdatedRows, lease, `the end of ${step.stepName} was not recorded`);
    });
    return { ...step, endTime: parseSqlTimestamp(now) };
  }

  async stepExecutions(jobExecutionId: number): Promise<readonly StepExecution[]> {
    const rows = await this.db
      .selectFrom('batch_step_execution')
      .selectAll()
      .where('job_execution_id', '=', jobExecutionId)
      .orderBy('id')
      .execute();
    return rows.map(toStepExecution);
  }

  /** The latest step execution of each step over every execution of an instance. */
  async latestStepsOfInstance(instanceId: number): Promise<ReadonlyMap<string, StepExecution>> {
    const rows = await this.db
      .selectFrom('batch_step_execution as s')
      .innerJoin('batch_job_execution as e', 'e.id', 's.job_execution_id')
      .selectAll('s')
      .where('e.job_instance_id', '=', instanceId)
      .orderBy('s.id')
      .execute();
    return new Map(rows.map((row) => [row.step_name, toStepExecution(row)]));
  }

  /**
   * Records a skipped item while the lease holds (INSERT … SELECT from the owned execution
   * row). The skip's key is unique: a retry whose first attempt committed unseen fails on
   * it and is taken as done, so the skip is recorded once.
   */
  async recordSkip(lease: ExecutionLease, skip: SkipRecord): Promise<void> {
    const values = {
      job_execution_id: skip.jobExecutionId,
      step_execution_id: skip.stepExecutionId,
      step_name: skip.stepName,
      phase: skip.phase,
      item: skip.item.slice(0, 4000),
      reason: skip.reason.slice(0, 4000),
      created_at: this.now(),
      skip_key: skip.key ?? null,
    };
    let inserted: bigint;
    try {
      inserted = await this.insertWhileOwned('batch_step_skip', values, lease);
    } catch (error) {
      if (skip.key !== undefined && isUniqueViolation(error)) return;
      throw error;
    }
    expectOwned(inserted, lease, `a skip in ${skip.stepName} was not recorded`);
  }

  /**
   * INSERT … SELECT from the owned execution row: the row lands only while the lease
   * holds, in the same statement that checks it. Returns the rows inserted (0 or 1).
   */
  private async insertWhileOwned<T extends 'batch_step_execution' | 'batch_step_skip'>(table: T, values: Insertable<BatchDb[T]>, lease: ExecutionLease): Promise<bigint> {
    const entries = Object.entries(values);
    const fence = owned(expressionBuilder<BatchDb, 'batch_job_execution'>(), lease);
    const result = await sql`INSERT INTO ${sql.table(table)} (${sql.join(entries.map(([column]) => sql.ref(column)))})
      SELECT ${sql.join(entries.map(([, value]) => sql.val(value)))} FROM batch_job_execution WHERE ${fence}`.execute(this.db);
    return result.numAffectedRows ?? 0n;
  }

  async skips(jobExecutionId: number): Promise<readonly SkipRecord[]> {
    const rows = await this.db.selectFrom('batch_step_skip').selectAll().where('job_execution_id', '=', jobExecutionId).orderBy('id').execute();
    return rows.map((r) => ({
      jobExecutionId: Number(r.job_execution_id),
      stepExecutionId: Number(r.step_execution_id),
      stepName: r.step_name,
      phase: r.phase as SkipRecord['phase'],
      item: r.item,
      reason: r.reason,
    }));
  }
}

function countColumns(c: StepCounts) {
  return {
    read_count: c.read,
    write_count: c.write,
    would_write_count: c.wouldWrite,
    filter_count: c.filter,
    read_skip_count: c.readSkip,
    process_skip_count: c.processSkip,
    write_skip_count: c.writeSkip,
    commit_count: c.commit,
    rollback_count: c.rollback,
  };
}
