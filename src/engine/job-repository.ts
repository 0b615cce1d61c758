/**
 * The job repository: every instance, execution and step execution, in batchdb. It is
 * the only shared state between processes, so every rule that must hold across
 * replicas (one run per job, stop, abandoned runs) is decided here by the database.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { CompiledQuery, Kysely, Selectable } from 'kysely';
import { isUniqueViolation } from '../db/errors.js';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { parseSqlTimestamp, sqlTimestampMillis } from '../db/sql-time.js';
import { JobAlreadyRunningError } from './errors.js';
import {
  ZERO_COUNTS,
  type BatchStatus,
  type JobExecution,
  type JobExecutionSummary,
  type JobParameters,
  type JsonObject,
  type StepCounts,
  type StepExecution,
  type TriggerType,
} from './types.js';

type ExecutionRow = Selectable<BatchDb['batch_job_execution']>;
type StepRow = Selectable<BatchDb['batch_step_execution']>;

const RUNNING: readonly BatchStatus[] = ['STARTED', 'STOPPING'];

/** The columns of a JobExecutionSummary: lists skip the wide ones (context, metrics). */
const SUMMARY_COLUMNS = [
  'id', 'job_name', 'status', 'exit_code', 'exit_message', 'parameters', 'dry_run',
  'trigger_type', 'triggered_by', 'restart_of', 'start_time', 'end_time',
] as const;
type SummaryRow = Pick<ExecutionRow, (typeof SUMMARY_COLUMNS)[number]>;

/** The identity of a JobInstance: a hash of its sorted identifying `key=value` pairs. */
export function jobKey(parameters: JobParameters): string {
  const lines = Object.entries(parameters)
    .filter(([, p]) => p.identifying)
    .map(([k, p]) => `${k}=${p.value}`)
    .sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

export function identifyingText(parameters: JobParameters): string {
  const pairs = Object.entries(parameters).filter(([, p]) => p.identifying);
  return pairs.length === 0 ? 'none' : pairs.map(([k, p]) => `${k}=${p.value}`).join(', ');
}

export interface NewExecution {
  readonly instanceId: number;
  readonly jobName: string;
  readonly parameters: JobParameters;
  readonly dryRun: boolean;
  readonly trigger: TriggerType;
  readonly triggeredBy: string | null;
  readonly restartOf: number | null;
  readonly context: JsonObject;
}

export interface ExecutionPage {
  readonly total: number;
  readonly items: readonly JobExecution[];
}

export interface SkipRecord {
  readonly jobExecutionId: number;
  readonly stepExecutionId: number;
  readonly stepName: string;
  readonly phase: 'READ' | 'PROCESS' | 'WRITE';
  readonly item: string;
  readonly reason: string;
}

export class JobRepository {
  /** Identifies this process in `host`, so an operator sees where a run lives. */
  readonly host = `${hostname()}:${process.pid}`;

  // The job list's queries (`GET /api/batch/jobs`, one per request), built once: Kysely's
  // building of a query cost as much as SQLite's running it (bench/README.md).
  private readonly newestPerJob: CompiledQuery<SummaryRow>;
  private readonly executionsVersionQuery: CompiledQuery<{ version: number }>;

  constructor(
    private readonly db: Kysely<BatchDb>,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.newestPerJob = db
      .selectFrom('batch_job_execution')
      .select(SUMMARY_COLUMNS)
      .where('id', 'in', (eb) => eb.selectFrom('batch_job_execution').select((e) => e.fn.max('id').as('id')).groupBy('job_name'))
      .compile();
    this.executionsVersionQuery = db.selectFrom('batch_job_execution_version').select('version').where('id', '=', 1).compile();
  }

  private now(): string {
    return sqlTimestampMillis(this.clock());
  }

  async findInstance(jobName: string, key: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('batch_job_instance')
      .select('id')
      .where('job_name', '=', jobName)
      .where('job_key', '=', key)
      .executeTakeFirst();
    return row === undefined ? undefined : Number(row.id);
  }

  /** Creates the instance, or returns the one a concurrent launch created a moment before. */
  async findOrCreateInstance(jobName: string, parameters: JobParameters): Promise<number> {
    const key = jobKey(parameters);
    const existing = await this.findInstance(jobName, key);
    if (existing !== undefined) return existing;
    const identifying = Object.fromEntries(Object.entries(parameters).filter(([, p]) => p.identifying).map(([k, p]) => [k, p.value]));
    try {
      const result = await this.db
        .insertInto('batch_job_instance')
        .values({ job_name: jobName, job_key: key, identifying_parameters: JSON.stringify(identifying), created_at: this.now() })
        .executeTakeFirstOrThrow();
      return Number(result.insertId);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const raced = await this.findInstance(jobName, key);
      if (raced === undefined) throw error;
      return raced;
    }
  }

  async countInstances(jobName: string): Promise<number> {
    const row = await this.db
      .selectFrom('batch_job_instance')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('job_name', '=', jobName)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Inserts a STARTED execution holding the job's run slot (`running_job`). The unique
   * key makes this the one decision point between concurrent launches, in any process.
   */
  async createExecution(input: NewExecution): Promise<JobExecution> {
    const now = this.now();
    try {
      const result = await this.db
        .insertInto('batch_job_execution')
        .values({
          job_instance_id: input.instanceId,
          job_name: input.jobName,
          status: 'STARTED',
          exit_code: 'EXECUTING',
          exit_message: null,
          parameters: JSON.stringify(input.parameters),
          execution_context: JSON.stringify(input.context),
          metrics: '{}',
          dry_run: input.dryRun ? 1 : 0,
          trigger_type: input.trigger,
          triggered_by: input.triggeredBy,
          restart_of: input.restartOf,
          created_at: now,
          start_time: now,
          end_time: null,
          last_updated: now,
          heartbeat_at: now,
          running_job: input.jobName,
          host: this.host,
        })
        .executeTakeFirstOrThrow();
      return this.getExecutionOrThrow(Number(result.insertId));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const running = await this.runningExecution(input.jobName);
      throw new JobAlreadyRunningError(input.jobName, running?.id ?? null);
    }
  }

  async runningExecution(jobName: string): Promise<JobExecution | undefined> {
    const row = await this.db.selectFrom('batch_job_execution').selectAll().where('running_job', '=', jobName).executeTakeFirst();
    return row && toExecution(row);
  }

  async getExecution(id: number): Promise<JobExecution | undefined> {
    const row = await this.db.selectFrom('batch_job_execution').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toExecution(row);
  }

  async getExecutionOrThrow(id: number): Promise<JobExecution> {
    const execution = await this.getExecution(id);
    if (!execution) throw new Error(`job execution ${id} vanished from the repository`);
    return execution;
  }

  async lastExecutionOfInstance(instanceId: number): Promise<JobExecution | undefined> {
    const row = await this.db
      .selectFrom('batch_job_execution')
      .selectAll()
      .where('job_instance_id', '=', instanceId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toExecution(row);
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

  /** Marks the end of an execution and frees the job's run slot. */
  async finishExecution(
    id: number,
    outcome: { status: BatchStatus; exitCode: string; exitMessage: string | null; context: JsonObject; metrics: JsonObject },
  ): Promise<JobExecution> {
    const now = this.now();
    await this.db
      .updateTable('batch_job_execution')
      .set({
        status: outcome.status,
        exit_code: outcome.exitCode,
        exit_message: outcome.exitMessage,
        execution_context: JSON.stringify(outcome.context),
        metrics: JSON.stringify(outcome.metrics),
        end_time: now,
        last_updated: now,
        running_job: null,
      })
      .where('id', '=', id)
      .execute();
    return this.getExecutionOrThrow(id);
  }

  async saveJobContext(id: number, context: JsonObject): Promise<void> {
    await this.db
      .updateTable('batch_job_execution')
      .set({ execution_context: JSON.stringify(context), last_updated: this.now() })
      .where('id', '=', id)
      .execute();
  }

  /** Proves the execution alive and returns its status as the database has it (STOPPING = stop asked). */
  async heartbeat(id: number): Promise<BatchStatus | undefined> {
    const now = this.now();
    await this.db.updateTable('batch_job_execution').set({ heartbeat_at: now }).where('id', '=', id).execute();
    const row = await this.db.selectFrom('batch_job_execution').select('status').where('id', '=', id).executeTakeFirst();
    return row?.status as BatchStatus | undefined;
  }

  /** Asks a running execution to stop; true when it was running. Works from any process. */
  async requestStop(id: number): Promise<boolean> {
    const result = await this.db
      .updateTable('batch_job_execution')
      .set({ status: 'STOPPING', last_updated: this.now() })
      .where('id', '=', id)
      .where('status', '=', 'STARTED')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Marks FAILED (exit code ABANDONED) every running execution whose heartbeat is older
   * than `timeoutMs`: its process is gone. Spring Batch leaves such runs STARTED forever,
   * which also blocks the next launch; here they become restartable.
   */
  async abandonStale(timeoutMs: number, jobName?: string): Promise<readonly JobExecution[]> {
    const threshold = sqlTimestampMillis(new Date(this.clock().getTime() - timeoutMs));
    let query = this.db
      .selectFrom('batch_job_execution')
      .select(['id', 'heartbeat_at'])
      .where('running_job', 'is not', null)
      .where('heartbeat_at', '<', threshold);
    if (jobName !== undefined) query = query.where('job_name', '=', jobName);
    const stale = await query.execute();
    const abandoned: JobExecution[] = [];
    for (const row of stale) {
      const now = this.now();
      const message = `abandoned: no heartbeat since ${parseSqlTimestamp(row.heartbeat_at).toISOString()} (process killed?); restart it to resume`;
      // Guarded by the heartbeat we read: a live process that beat meanwhile keeps its run.
      const result = await this.db
        .updateTable('batch_job_execution')
        .set({ status: 'FAILED', exit_code: 'ABANDONED', exit_message: message, end_time: now, last_updated: now, running_job: null })
        .where('id', '=', row.id)
        .where('heartbeat_at', '=', row.heartbeat_at)
        .where('running_job', 'is not', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) continue;
      await this.db
        .updateTable('batch_step_execution')
        .set({ status: 'FAILED', exit_code: 'ABANDONED', exit_message: message, end_time: now, last_updated: now })
        .where('job_execution_id', '=', row.id)
        .where('status', 'in', RUNNING)
        .execute();
      abandoned.push(await this.getExecutionOrThrow(Number(row.id)));
    }
    return abandoned;
  }

  async createStepExecution(jobExecutionId: number, stepName: string, from?: { counts: StepCounts; context: JsonObject }): Promise<StepExecution> {
    const now = this.now();
    const counts = from?.counts ?? ZERO_COUNTS;
    const result = await this.db
      .insertInto('batch_step_execution')
      .values({
        job_execution_id: jobExecutionId,
        step_name: stepName,
        status: 'STARTED',
        exit_code: 'EXECUTING',
        exit_message: null,
        ...countColumns(counts),
        execution_context: JSON.stringify(from?.context ?? {}),
        start_time: now,
        end_time: null,
        last_updated: now,
      })
      .executeTakeFirstOrThrow();
    const row = await this.db.selectFrom('batch_step_execution').selectAll().where('id', '=', Number(result.insertId)).executeTakeFirstOrThrow();
    return toStepExecution(row);
  }

  /** The checkpoint: counts and context together, so a restart resumes from a consistent pair. */
  async saveStepProgress(step: StepExecution): Promise<void> {
    await this.db
      .updateTable('batch_step_execution')
      .set({ ...countColumns(step.counts), execution_context: JSON.stringify(step.context), last_updated: this.now() })
      .where('id', '=', step.id)
      .execute();
  }

  async finishStep(step: StepExecution): Promise<StepExecution> {
    const now = this.now();
    await this.db
      .updateTable('batch_step_execution')
      .set({
        ...countColumns(step.counts),
        status: step.status,
        exit_code: step.exitCode,
        exit_message: step.exitMessage,
        execution_context: JSON.stringify(step.context),
        end_time: now,
        last_updated: now,
      })
      .where('id', '=', step.id)
      .execute();
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

  async recordSkip(skip: SkipRecord): Promise<void> {
    await this.db
      .insertInto('batch_step_skip')
      .values({
        job_execution_id: skip.jobExecutionId,
        step_execution_id: skip.stepExecutionId,
        step_name: skip.stepName,
        phase: skip.phase,
        item: skip.item.slice(0, 4000),
        reason: skip.reason.slice(0, 4000),
        created_at: this.now(),
      })
      .execute();
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
    filter_count: c.filter,
    read_skip_count: c.readSkip,
    process_skip_count: c.processSkip,
    write_skip_count: c.writeSkip,
    commit_count: c.commit,
    rollback_count: c.rollback,
  };
}

const optionalDate = (text: string | null) => (text === null ? null : parseSqlTimestamp(text));

function toSummary(row: SummaryRow): JobExecutionSummary {
  return {
    id: Number(row.id),
    jobName: row.job_name,
    status: row.status as BatchStatus,
    exitCode: row.exit_code,
    exitMessage: row.exit_message,
    parameters: JSON.parse(row.parameters) as JobParameters,
    dryRun: Boolean(Number(row.dry_run)),
    trigger: row.trigger_type as TriggerType,
    triggeredBy: row.triggered_by,
    restartOf: row.restart_of === null ? null : Number(row.restart_of),
    startTime: optionalDate(row.start_time),
    endTime: optionalDate(row.end_time),
  };
}

function toExecution(row: ExecutionRow): JobExecution {
  return {
    ...toSummary(row),
    instanceId: Number(row.job_instance_id),
    createdAt: parseSqlTimestamp(row.created_at),
    lastUpdated: parseSqlTimestamp(row.last_updated),
    heartbeatAt: parseSqlTimestamp(row.heartbeat_at),
    context: JSON.parse(row.execution_context) as JsonObject,
    metrics: JSON.parse(row.metrics) as JsonObject,
    host: row.host,
  };
}

function toStepExecution(row: StepRow): StepExecution {
  return {
    id: Number(row.id),
    jobExecutionId: Number(row.job_execution_id),
    stepName: row.step_name,
    status: row.status as BatchStatus,
    exitCode: row.exit_code,
    exitMessage: row.exit_message,
    counts: {
      read: Number(row.read_count),
      write: Number(row.write_count),
      filter: Number(row.filter_count),
      readSkip: Number(row.read_skip_count),
      processSkip: Number(row.process_skip_count),
      writeSkip: Number(row.write_skip_count),
      commit: Number(row.commit_count),
      rollback: Number(row.rollback_count),
    },
    context: JSON.parse(row.execution_context) as JsonObject,
    startTime: parseSqlTimestamp(row.start_time),
    endTime: optionalDate(row.end_time),
  };
}
