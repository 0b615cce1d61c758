/**
 * Launching a run: the identity of a job instance (a hash of its identifying
 * parameters), the plan a launch carries, and the launch protocol itself — one
 * transaction that decides, across every process, whether this run may start.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, RawBuilder } from 'kysely';
import { isTransientDbError, isUniqueViolation } from '../db/errors.js';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { JobAlreadyRunningError, JobLaunchConflictError } from './errors.js';
import type { ExecutionLease } from './lease-fence.js';
import type { JobExecution, JobParameters, JsonObject, TriggerType } from './types.js';

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

/** What a launch stamps on the execution it inserts: where it runs, and when by which clock. */
export interface LaunchStamp {
  readonly host: string;
  /** The client's clock, in the stored form. */
  now(): string;
  /** The database's clock, for `heartbeat_at`. */
  readonly dbNow: RawBuilder<string>;
}

/** The repository's reads a launch needs. */
export interface ExecutionReads {
  getExecution(id: number, db?: Kysely<BatchDb>): Promise<JobExecution | undefined>;
  getExecutionOrThrow(id: number): Promise<JobExecution>;
  runningExecution(jobName: string): Promise<JobExecution | undefined>;
}

export class ExecutionLauncher {
  constructor(
    private readonly db: Kysely<BatchDb>,
    private readonly stamp: LaunchStamp,
    private readonly reads: ExecutionReads,
  ) {}

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
        return { execution: await this.reads.getExecutionOrThrow(id), lease: { id, owner } };
      } catch (error) {
        if (isTransientDbError(error) && attempt < 5) {
          const landed = await this.db.selectFrom('batch_job_execution').select('id').where('running_job', '=', plan.jobName).where('owner', '=', owner).executeTakeFirst();
          if (landed) return { execution: await this.reads.getExecutionOrThrow(Number(landed.id)), lease: { id: Number(landed.id), owner } };
          continue;
        }
        if (error instanceof InstanceRace && attempt < 5) continue;
        if (error instanceof RunSlotTaken) {
          const running = await this.reads.runningExecution(plan.jobName);
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
    const current = currentId === null ? undefined : await this.reads.getExecution(currentId, tx);
    const fresh = await plan.decide(current, identifying);
    const now = this.stamp.now();
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
          heartbeat_at: this.stamp.dbNow,
          running_job: fresh.jobName,
          host: this.stamp.host,
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

  private ensureRunSequence(jobName: string): Promise<void> {
    return ensureRow(
      () => this.db.selectFrom('batch_job_run_sequence').select('job_name').where('job_name', '=', jobName).executeTakeFirst(),
      () => this.db.insertInto('batch_job_run_sequence').values({ job_name: jobName, last_run_id: 0 }).execute(),
    );
  }
}

/**
 * Creates the job's run counter, or its summary row for a status, unless it exists (a
 * concurrent creator winning is as good), in a statement of its own before the
 * transaction that updates it: the engines spell an upsert differently, and on MariaDB
 * two transactions that each find their row missing and insert it can deadlock on the
 * gap they both locked.
 */
export async function ensureRow(find: () => Promise<unknown>, insert: () => Promise<unknown>): Promise<void> {
  if (await find()) return;
  try {
    await insert();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
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
