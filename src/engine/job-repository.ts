/**
 * The job repository: every instance, execution and step execution, in batchdb. It is
 * the only shared state between processes, so every rule that must hold across
 * replicas (one run per job, stop, abandoned runs) is decided here by the database.
 */
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { expressionBuilder, SqliteAdapter, sql, type ExpressionBuilder, type Insertable, type Kysely, type RawBuilder } from 'kysely';
import { isTransientDbError, isUniqueViolation } from '../db/errors.js';
import type { BatchDb } from '../db/schema/batch-tables.js';
import type { RunSessions } from '../db/sessions.js';
import { parseSqlTimestamp, sqlTimestampMillis } from '../db/sql-time.js';
import { toExecution, toStepExecution } from './execution-rows.js';
import { JobAlreadyRunningError, JobLaunchConflictError, LeaseLostError } from './errors.js';
import {
  ZERO_COUNTS,
  type BatchStatus,
  type JobExecution,
  type JobParameters,
  type JsonObject,
  type StepCounts,
  type StepExecution,
  type TriggerType,
} from './types.js';

const RUNNING: readonly BatchStatus[] = ['STARTED', 'STOPPING'];

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

/** What a launch inserts; the instance is the one the launch found or created. */
export interface NewExecution {
  readonly jobName: string;
  readonly parameters: JobParameters;
  readonly dryRun: boolean;
  readonly trigger: TriggerType;
  readonly triggeredBy: string | null;
  readonly restartOf: number | null;
  readonly context: JsonObject;
}

/**
 * One launch: which instance (identifying parameters, or none for a new `run.id`), and
 * what to make of its current execution, decided inside the launch's transaction. The
 * decision throws to refuse (already running, already complete, not restartable).
 */
export interface LaunchPlan {
  readonly jobName: string;
  readonly identifying?: JobParameters;
  /** Always a new instance: the identifying parameters get a new `run.id` beside them. */
  readonly newInstance?: boolean;
  decide(current: JobExecution | undefined, identifying: JobParameters): NewExecution | Promise<NewExecution>;
}

/** What a process holds while it runs an execution; every run-protocol write presents it. */
export interface ExecutionLease {
  readonly id: number;
  readonly owner: string;
}


/**
 * What commits with the end of a run, in the transaction that records it (the history
 * row, the failure event and mail): given the execution as ended. It writes to batchdb
 * through `tx` only; an error rolls the end back with it.
 */
export type EndWriter = (tx: Kysely<BatchDb>, ended: JobExecution) => Promise<void>;

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

export class JobRepository {
  /** Identifies this process in `host`, so an operator sees where a run lives. */
  readonly host = `${hostname()}:${process.pid}`;

  /** The database's clock, in the stored form with milliseconds (UTC): heartbeats and staleness are read on it. */
  private readonly dbNow: RawBuilder<string>;
  private readonly sqlite: boolean;

  constructor(
    private readonly db: Kysely<BatchDb>,
    private readonly clock: () => Date = () => new Date(),
    private readonly sessions?: RunSessions,
  ) {
    this.sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
    // MariaDB's sessions run at time_zone '+00:00' (db/connect.ts).
    this.dbNow = this.sqlite ? sql<string>`strftime('%Y-%m-%d %H:%M:%f', 'now')` : sql<string>`CURRENT_TIMESTAMP(3)`;
  }

  /** The database's clock `ms` milliseconds ago. */
  private dbAgo(ms: number): RawBuilder<string> {
    const whole = Math.max(0, Math.round(ms));
    return this.sqlite
      ? sql<string>`strftime('%Y-%m-%d %H:%M:%f', 'now', ${`-${(whole / 1000).toFixed(3)} seconds`})`
      : sql<string>`(CURRENT_TIMESTAMP(3) - INTERVAL ${sql.raw(String(whole * 1000))} MICROSECOND)`;
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

  /**
   * The launch protocol, one transaction: find or create the instance, read its current
   * execution, let the plan decide, insert the new execution holding the job's run slot
   * (`running_job`, unique: one run per job, whichever process), and move the instance's
   * `current_execution_id` from what was read to the new execution (a compare-and-set: a
   * concurrent launch that committed first makes it update no row, and this one is
   * refused). A refused launch rolls back whole: no instance row is left behind.
   *
   * The owner is drawn once per launch, before the first attempt: when the connection
   * fails around the commit (the acknowledgement lost), the execution it names tells
   * whether the launch committed — then it is this launch's, returned as if the answer had
   * come — or not, and the launch is tried again.
   */
  async launch(plan: LaunchPlan): Promise<{ execution: JobExecution; lease: ExecutionLease }> {
    if (drawsRunId(plan)) await this.ensureRunSequence(plan.jobName);
    const owner = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        const id = await this.db.transaction().execute((tx) => this.launchIn(tx, plan, owner));
        return { execution: await this.getExecutionOrThrow(id), lease: { id, owner } };
      } catch (error) {
        if (isTransientDbError(error) && attempt < 5) {
          const landed = await this.db.selectFrom('batch_job_execution').select('id').where('running_job', '=', plan.jobName).where('owner', '=', owner).executeTakeFirst();
          if (landed) return { execution: await this.getExecutionOrThrow(Number(landed.id)), lease: { id: Number(landed.id), owner } };
          continue;
        }
        if (error instanceof InstanceRace && attempt < 5) continue;
        if (error instanceof RunSlotTaken) {
          const running = await this.runningExecution(plan.jobName);
          throw new JobAlreadyRunningError(plan.jobName, running?.id ?? null);
        }
        throw error;
      }
    }
  }

  private async launchIn(tx: Kysely<BatchDb>, plan: LaunchPlan, owner: string): Promise<number> {
    let identifying = plan.identifying ?? {};
    let key = jobKey(identifying);
    let instance = drawsRunId(plan) ? undefined : await this.instanceOf(tx, plan.jobName, key);
    if (drawsRunId(plan)) {
      // A number taken by hand (`--param run.id=7`) is passed over: a drawn one is always a new instance.
      do {
        identifying = { ...plan.identifying, 'run.id': { value: String(await this.nextRunId(tx, plan.jobName)), identifying: true } };
        key = jobKey(identifying);
      } while (await this.instanceOf(tx, plan.jobName, key));
    }
    const currentId = instance?.current_execution_id === null || instance === undefined ? null : Number(instance.current_execution_id);
    const current = currentId === null ? undefined : await this.getExecution(currentId, tx);
    const fresh = await plan.decide(current, identifying);
    const now = this.now();
    if (!instance) {
      const values = Object.fromEntries(Object.entries(identifying).filter(([, p]) => p.identifying).map(([k, p]) => [k, p.value]));
      try {
        const created = await tx
          .insertInto('batch_job_instance')
          .values({ job_name: plan.jobName, job_key: key, identifying_parameters: JSON.stringify(values), created_at: now, current_execution_id: null })
          .executeTakeFirstOrThrow();
        instance = { id: Number(created.insertId), current_execution_id: null };
      } catch (error) {
        throw isUniqueViolation(error) ? new InstanceRace() : error;
      }
    }
    let id: number;
    try {
      const inserted = await tx
        .insertInto('batch_job_execution')
        .values({
          job_instance_id: instance.id,
          job_name: fresh.jobName,
          status: 'STARTED',
          exit_code: 'EXECUTING',
          exit_message: null,
          parameters: JSON.stringify(fresh.parameters),
          execution_context: JSON.stringify(fresh.context),
          metrics: '{}',
          dry_run: fresh.dryRun ? 1 : 0,
          trigger_type: fresh.trigger,
          triggered_by: fresh.triggeredBy,
          restart_of: fresh.restartOf,
          created_at: now,
          start_time: now,
          end_time: null,
          last_updated: now,
          // The database's clock, as every heartbeat and every staleness test (docs/engine.md).
          heartbeat_at: this.dbNow,
          running_job: fresh.jobName,
          host: this.host,
          owner,
          end_audited_at: null,
        })
        .executeTakeFirstOrThrow();
      id = Number(inserted.insertId);
    } catch (error) {
      throw isUniqueViolation(error) ? new RunSlotTaken() : error;
    }
    const moved = await tx
      .updateTable('batch_job_instance')
      .set({ current_execution_id: id })
      .where('id', '=', instance.id)
      .where((eb) => (currentId === null ? eb('current_execution_id', 'is', null) : eb('current_execution_id', '=', currentId)))
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) throw new JobLaunchConflictError(plan.jobName, currentId);
    return id;
  }

  private instanceOf(tx: Kysely<BatchDb>, jobName: string, key: string): Promise<{ id: number; current_execution_id: number | null } | undefined> {
    return tx.selectFrom('batch_job_instance').select(['id', 'current_execution_id']).where('job_name', '=', jobName).where('job_key', '=', key).executeTakeFirst();
  }

  /**
   * The job's next `run.id`, from a counter no purge touches (it was the count of the
   * job's instances plus one, which repeats a number once instances are purged). The
   * increment locks the job's counter row until the launch commits, so concurrent
   * launches draw different numbers, and a refused launch gives its number back.
   */
  private async nextRunId(tx: Kysely<BatchDb>, jobName: string): Promise<number> {
    await tx
      .updateTable('batch_job_run_sequence')
      .set((eb) => ({ last_run_id: eb('last_run_id', '+', 1) }))
      .where('job_name', '=', jobName)
      .executeTakeFirstOrThrow();
    const row = await tx.selectFrom('batch_job_run_sequence').select('last_run_id').where('job_name', '=', jobName).executeTakeFirstOrThrow();
    return Number(row.last_run_id);
  }

  /**
   * Creates the job's run counter, or its summary row for a status, unless it exists (a
   * concurrent creator winning is as good), in a statement of its own before the
   * transaction that updates it: the engines spell an upsert differently, and on MariaDB
   * two transactions that each find their row missing and insert it can deadlock on the
   * gap they both locked.
   */
  private async ensureRow(find: () => Promise<unknown>, insert: () => Promise<unknown>): Promise<void> {
    if (await find()) return;
    try {
      await insert();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }

  private ensureRunSequence(jobName: string): Promise<void> {
    return this.ensureRow(
      () => this.db.selectFrom('batch_job_run_sequence').select('job_name').where('job_name', '=', jobName).executeTakeFirst(),
      () => this.db.insertInto('batch_job_run_sequence').values({ job_name: jobName, last_run_id: 0 }).execute(),
    );
  }

  private ensureSummary(jobName: string, status: string): Promise<void> {
    return this.ensureRow(
      () => this.db.selectFrom('batch_job_summary').select('job_name').where('job_name', '=', jobName).where('status', '=', status).executeTakeFirst(),
      () => this.db.insertInto('batch_job_summary').values({ job_name: jobName, status, executions: 0 }).execute(),
    );
  }

  async runningExecution(jobName: string): Promise<JobExecution | undefined> {
    const row = await this.db.selectFrom('batch_job_execution').selectAll().where('running_job', '=', jobName).executeTakeFirst();
    return row && toExecution(row);
  }

  async getExecution(id: number, db: Kysely<BatchDb> = this.db): Promise<JobExecution | undefined> {
    const row = await db.selectFrom('batch_job_execution').selectAll().where('id', '=', id).executeTakeFirst();
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
   * Marks the end of an execution and frees the job's run slot, with what `onEnd` writes
   * in the same transaction; LeaseLostError once another process took it. Retried after
   * a lost acknowledgement, it finds the end it committed (the execution ended and still
   * carrying this lease's owner token: an abandonment clears the token) and returns it
   * as the first attempt would have.
   */
  async finishExecution(
    lease: ExecutionLease,
    outcome: { status: BatchStatus; exitCode: string; exitMessage: string | null; context: JsonObject; metrics: JsonObject },
    onEnd?: EndWriter,
  ): Promise<JobExecution> {
    const row = await this.db.selectFrom('batch_job_execution').select(['job_name', 'dry_run', 'start_time', 'created_at', 'owner', 'status']).where('id', '=', lease.id).executeTakeFirst();
    if (row && row.owner === lease.owner && !RUNNING.includes(row.status as BatchStatus)) return this.getExecutionOrThrow(lease.id);
    if (row && !Number(row.dry_run)) await this.ensureSummary(row.job_name, outcome.status);
    const now = this.now();
    const metrics = JSON.stringify(outcome.metrics);
    // The end, the job's summary (Prometheus's source) and what `onEnd` writes commit together: a crash leaves all or none.
    await this.db.transaction().execute(async (tx) => {
      const result = await tx
        .updateTable('batch_job_execution')
        .set({
          status: outcome.status,
          exit_code: outcome.exitCode,
          exit_message: outcome.exitMessage,
          execution_context: JSON.stringify(outcome.context),
          metrics,
          end_time: now,
          last_updated: now,
          running_job: null,
        })
        .where((eb) => owned(eb, lease))
        .executeTakeFirst();
      expectOwned(result.numUpdatedRows, lease, 'its end was not recorded');
      if (row && !Number(row.dry_run)) await this.addToSummary(tx, { id: lease.id, jobName: row.job_name, status: outcome.status, started: row.start_time ?? row.created_at, ended: now, metrics });
      if (onEnd) await onEnd(tx, (await this.getExecution(lease.id, tx))!);
    });
    return this.getExecutionOrThrow(lease.id);
  }

  /**
   * Counts an ended real run in its job's summary and, when it is the newest of its job
   * and status, records its end, duration and metrics there. Two statements, so that the
   * second's guard reads the row as it was (MariaDB applies an UPDATE's assignments in
   * order, each seeing the ones before).
   */
  private async addToSummary(tx: Kysely<BatchDb>, end: { id: number; jobName: string; status: string; started: string; ended: string; metrics: string }): Promise<void> {
    const summary = () => tx.updateTable('batch_job_summary').where('job_name', '=', end.jobName).where('status', '=', end.status);
    await summary()
      .set((eb) => ({ executions: eb('executions', '+', 1) }))
      .execute();
    await summary()
      .set({
        last_execution_id: end.id,
        last_end_time: end.ended,
        last_duration_ms: Math.max(0, parseSqlTimestamp(end.ended).getTime() - parseSqlTimestamp(end.started).getTime()),
        last_metrics: end.metrics,
      })
      .where((eb) => eb.or([eb('last_execution_id', 'is', null), eb('last_execution_id', '<', end.id)]))
      .execute();
  }

  /**
   * Proves the execution alive and returns its status as the database has it (STOPPING =
   * stop asked); LeaseLostError when it is no longer this process's to run.
   */
  async heartbeat(lease: ExecutionLease): Promise<BatchStatus> {
    const result = await this.db
      .updateTable('batch_job_execution')
      // Stamped by the database when it runs the UPDATE, never by this host's clock: a
      // replica whose clock is off can neither keep a dead run nor abandon a live one.
      .set({ heartbeat_at: this.dbNow, ...this.sessionsColumn() })
      .where((eb) => owned(eb, lease))
      .executeTakeFirst();
    expectOwned(result.numUpdatedRows, lease, 'its heartbeat found the execution abandoned or taken over');
    const row = await this.db.selectFrom('batch_job_execution').select('status').where('id', '=', lease.id).executeTakeFirstOrThrow();
    return row.status as BatchStatus;
  }

  private sessionsColumn(): { sessions?: string } {
    const current = this.sessions?.current() ?? null;
    return current === null ? {} : { sessions: current };
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
   * which also blocks the next launch; here they become restartable. "Older" is read on
   * the database's clock, the one that stamped the heartbeat.
   */
  async abandonStale(timeoutMs: number, jobName?: string, onEnd?: EndWriter): Promise<readonly JobExecution[]> {
    const threshold = this.dbAgo(timeoutMs);
    let query = this.db
      .selectFrom('batch_job_execution')
      .select(['id', 'heartbeat_at', 'status', 'job_name', 'dry_run', 'start_time', 'created_at', 'metrics', 'sessions'])
      .where('running_job', 'is not', null)
      .where('heartbeat_at', '<', threshold);
    if (jobName !== undefined) query = query.where('job_name', '=', jobName);
    const stale = await query.execute();
    const abandoned: JobExecution[] = [];
    for (const row of stale) {
      const now = this.now();
      const since = parseSqlTimestamp(row.heartbeat_at).toISOString();
      // A stop was asked of a run whose process then died: it ends as asked, STOPPED.
      const ending =
        row.status === 'STOPPING'
          ? { status: 'STOPPED', exit_code: 'STOPPED', exit_message: `stopped: its process died before it could stop (no heartbeat since ${since}); restart it to resume` }
          : { status: 'FAILED', exit_code: 'ABANDONED', exit_message: `abandoned: no heartbeat since ${since} (process killed?); restart it to resume` };
      // Its process's connections first: one whose link was cut still holds its
      // transaction's locks, which the UPDATE below (and the restart) would wait on. The
      // run has been silent past the timeout, so its lease ended at least a margin ago.
      if (row.sessions && this.sessions) await this.sessions.end(row.sessions, Number(row.id));
      const real = !Number(row.dry_run);
      if (real) await this.ensureSummary(row.job_name, ending.status);
      // One transaction: the execution, its running steps, the summary and what `onEnd`
      // writes (the failure notice) commit together, so a crash part-way leaves no step
      // STARTED under an ended execution and no end without its notice.
      const ended = await this.db.transaction().execute(async (tx) => {
        // Guarded by the heartbeat we read: a live process that beat meanwhile keeps its run.
        // The owner token goes: the dead process's end, retried, must not take this one for its own.
        const result = await tx
          .updateTable('batch_job_execution')
          .set({ ...ending, end_time: now, last_updated: now, running_job: null, owner: null })
          .where('id', '=', row.id)
          .where('heartbeat_at', '=', row.heartbeat_at)
          .where('running_job', 'is not', null)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return false;
        await tx
          .updateTable('batch_step_execution')
          .set({ ...ending, end_time: now, last_updated: now })
          .where('job_execution_id', '=', row.id)
          .where('status', 'in', RUNNING)
          .execute();
        if (real) await this.addToSummary(tx, { id: Number(row.id), jobName: row.job_name, status: ending.status, started: row.start_time ?? row.created_at, ended: now, metrics: row.metrics });
        if (onEnd) await onEnd(tx, (await this.getExecution(Number(row.id), tx))!);
        return true;
      });
      if (!ended) continue;
      abandoned.push(await this.getExecutionOrThrow(Number(row.id)));
    }
    return abandoned;
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

/** Whether a launch makes a new instance with a drawn `run.id`: no identifying parameters, or a dry run. */
function drawsRunId(plan: LaunchPlan): boolean {
  return !plan.identifying || Boolean(plan.newInstance);
}

/** Internal: the instance key was taken by a concurrent first launch; the launch is tried again. */
class InstanceRace extends Error {}
/** Internal: another execution of the job holds its run slot. */
class RunSlotTaken extends Error {}

/** The execution row, while this lease still owns it and it runs. */
function owned(eb: ExpressionBuilder<BatchDb, 'batch_job_execution'>, lease: ExecutionLease) {
  return eb.and([eb('id', '=', lease.id), eb('owner', '=', lease.owner), eb('status', 'in', RUNNING)]);
}

function expectOwned(changed: bigint | number, lease: ExecutionLease, what: string): void {
  if (Number(changed) === 0) throw new LeaseLostError(lease.id, what);
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
