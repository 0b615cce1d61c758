/**
 * The job repository: every instance, execution and step execution, in batchdb. It is
 * the only shared state between processes, so every rule that must hold across
 * replicas (one run per job, stop, abandoned runs) is decided here by the database.
 * The launch protocol is in job-launch.ts, the steps' and skips' rows in
 * step-repository.ts; this class is the one door to all three.
 */
import { hostname } from 'node:os';
import { SqliteAdapter, sql, type Kysely, type RawBuilder } from 'kysely';
import type { BatchDb } from '../db/schema/batch-tables.js';
import type { RunSessions } from '../db/sessions.js';
import { parseSqlTimestamp, sqlTimestampMillis } from '../db/sql-time.js';
import { toExecution } from './execution-rows.js';
import { ensureRow, ExecutionLauncher, type LaunchPlan } from './job-launch.js';
import { expectOwned, owned, RUNNING, type ExecutionLease } from './lease-fence.js';
import { StepRepository, type SkipRecord } from './step-repository.js';
import type { BatchStatus, JobExecution, JsonObject, StepCounts, StepExecution } from './types.js';

/**
 * What commits with the end of a run, in the transaction that records it (the history
 * row, the failure event and mail): given the execution as ended. It writes to batchdb
 * through `tx` only; an error rolls the end back with it.
 */
export type EndWriter = (tx: Kysely<BatchDb>, ended: JobExecution) => Promise<void>;

export class JobRepository {
  /** Identifies this process in `host`, so an operator sees where a run lives. */
  readonly host = `${hostname()}:${process.pid}`;

  /** The database's clock, in the stored form with milliseconds (UTC): heartbeats and staleness are read on it. */
  private readonly dbNow: RawBuilder<string>;
  private readonly sqlite: boolean;
  private readonly launcher: ExecutionLauncher;
  private readonly steps: StepRepository;

  constructor(
    private readonly db: Kysely<BatchDb>,
    private readonly clock: () => Date = () => new Date(),
    private readonly sessions?: RunSessions,
  ) {
    this.sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
    // MariaDB's sessions run at time_zone '+00:00' (db/connect.ts).
    this.dbNow = this.sqlite ? sql<string>`strftime('%Y-%m-%d %H:%M:%f', 'now')` : sql<string>`CURRENT_TIMESTAMP(3)`;
    this.launcher = new ExecutionLauncher(db, { host: this.host, now: () => this.now(), dbNow: this.dbNow }, this);
    this.steps = new StepRepository(db, clock);
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

  /** The launch protocol: job-launch.ts. */
  launch(plan: LaunchPlan): Promise<{ execution: JobExecution; lease: ExecutionLease }> {
    return this.launcher.launch(plan);
  }

  private ensureSummary(jobName: string, status: string): Promise<void> {
    return ensureRow(
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

  // Steps and skips: the step repository's, kept here so the engine has one repository.
  createStepExecution(lease: ExecutionLease, stepName: string, from?: { counts: StepCounts; context: JsonObject }): Promise<StepExecution> {
    return this.steps.createStepExecution(lease, stepName, from);
  }
  saveStepProgress(lease: ExecutionLease, step: StepExecution): Promise<void> {
    return this.steps.saveStepProgress(lease, step);
  }
  finishStep(lease: ExecutionLease, step: StepExecution, jobContext?: JsonObject): Promise<StepExecution> {
    return this.steps.finishStep(lease, step, jobContext);
  }
  stepExecutions(jobExecutionId: number): Promise<readonly StepExecution[]> {
    return this.steps.stepExecutions(jobExecutionId);
  }
  latestStepsOfInstance(instanceId: number): Promise<ReadonlyMap<string, StepExecution>> {
    return this.steps.latestStepsOfInstance(instanceId);
  }
  recordSkip(lease: ExecutionLease, skip: SkipRecord): Promise<void> {
    return this.steps.recordSkip(lease, skip);
  }
  skips(jobExecutionId: number): Promise<readonly SkipRecord[]> {
    return this.steps.skips(jobExecutionId);
  }
}
