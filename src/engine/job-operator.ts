/**
 * Launches, restarts and stops jobs (Spring Batch's JobOperator and JobLauncher in one).
 * Every decision that must hold across processes goes through the JobRepository; what
 * lives here is only this process's view of the executions it runs.
 *
 * Background work never throws at its caller: a run's `done` resolves whatever happens
 * (batchdb gone, lease lost), and abandonment notifications go out on their own, so a
 * launch never waits on a mail server (docs/engine.md).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { BatchDb } from '../db/schema/batch-tables.js';
import {
  JobAlreadyRunningError,
  JobExecutionNotFoundError,
  JobInstanceAlreadyCompleteError,
  JobNotFoundError,
  JobRestartError,
  LeaseLostError,
  StepTimeoutError,
} from './errors.js';
import { ExecutionContext } from './execution-context.js';
import { checkParameters, parseRunAt } from './job-parameters.js';
import { identifyingText, JobRepository, type NewExecution } from './job-repository.js';
import { Lease, leaseValidMs } from './lease.js';
import { runChunkStep } from './chunk-step.js';
import { DEFAULT_RETRY, withRetry, type RetryHooks } from './retry.js';
import type { StepOutcome, StepRuntime } from './step-runtime.js';
import { runTaskletStep } from './tasklet-step.js';
import { DRY_RUN_METRICS } from './types.js';
import type {
  BatchListener,
  BatchStatus,
  JobDefinition,
  JobExecution,
  JobParameters,
  JsonObject,
  StepDefinition,
  StepExecution,
  TriggerType,
} from './types.js';

export interface OperatorOptions {
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  /**
   * DB_STATEMENT_TIMEOUT_MS: the longest a statement may run or wait. The lease keeps it
   * back as part of its margin (lease.ts); default a third of the heartbeat timeout, at most 15 s, as config.
   */
  readonly statementTimeoutMs?: number;
  /** DB_POOL_WAIT_TIMEOUT_MS: the longest a query waits for a connection; also in the lease's margin. Default 0. */
  readonly poolWaitTimeoutMs?: number;
  /** BATCH_STEP_TIMEOUT_MS: the timeout of a step that sets none; none when unset. */
  readonly stepTimeoutMs?: number;
  readonly checkpointIntervalMs: number;
  /** Engine-wide listeners (logging, history, metrics, failure alerts), run before each job's own. */
  readonly listeners?: readonly BatchListener[];
  readonly logger: Logger;
  readonly clock?: () => Date;
  readonly retryHooks?: RetryHooks;
  /** BATCH_TIMEZONE: a `runAt` whose date there is outside 1970–9999 is refused at launch (UTC when unset). */
  readonly timeZone?: string;
}

export interface LaunchRequest {
  /** Identifying parameters (the JobInstance); `runAt` among them when given. */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly dryRun?: boolean;
  readonly trigger: TriggerType;
  readonly triggeredBy?: string | null;
}

export interface RunningExecution {
  /** The execution as created (STARTED). */
  readonly execution: JobExecution;
  /** Resolves with the execution once it has ended, whatever its status; never rejects. */
  readonly done: Promise<JobExecution>;
}

/** How a job's run ended, as one value. */
interface JobOutcome {
  readonly status: BatchStatus;
  readonly exitCode: string;
  readonly exitMessage: string | null;
}

const COMPLETED: JobOutcome = { status: 'COMPLETED', exitCode: 'COMPLETED', exitMessage: null };

/** Job context key of the steps whose counts miss the chunks a crash left unrecorded. */
const COUNTS_INCOMPLETE = 'engine.countsIncompleteSteps';

/** This process's part of an execution it runs. */
class LocalRun {
  stopRequested = false;
  readonly abort = new AbortController();

  requestStop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.abort.abort(new Error('stop requested'));
  }
}

export class JobOperator {
  private readonly jobs: ReadonlyMap<string, JobDefinition>;
  private readonly local = new Map<number, { readonly run: LocalRun; readonly done: Promise<JobExecution> }>();
  private readonly notifications = new Set<Promise<void>>();
  private readonly clock: () => Date;

  constructor(
    readonly repository: JobRepository,
    jobs: readonly JobDefinition[],
    private readonly options: OperatorOptions,
  ) {
    this.jobs = new Map(jobs.map((job) => [job.name, job]));
    this.clock = options.clock ?? (() => new Date());
  }

  jobNames(): readonly string[] {
    return [...this.jobs.keys()];
  }

  job(name: string): JobDefinition {
    const job = this.jobs.get(name);
    if (!job) throw new JobNotFoundError(name, this.jobNames());
    return job;
  }

  /**
   * Launches a job. Same identifying parameters as a FAILED or STOPPED instance = a
   * restart of it; as a COMPLETED one = an error; none at all, or a dry run = a fresh
   * instance (`run.id` incremented). The decision and the insert are one compare-and-set in the
   * database (JobRepository.launch).
   *
   * @example
   * const { execution, done } = await operator.start('tokenCleanupJob', { trigger: 'CLI' });
   * const finished = await done; // finished.status === 'COMPLETED'
   */
  async start(jobName: string, request: LaunchRequest): Promise<RunningExecution> {
    const job = this.job(jobName);
    // Refused before anything is written: a bad launch leaves nothing behind.
    const timeZone = this.options.timeZone ?? 'UTC';
    checkParameters(request.parameters ?? {}, timeZone);
    const given = Object.entries(request.parameters ?? {}).map(([key, value]): [string, string] =>
      // 6: one instant, one spelling: …T02:00:00Z, …T02:00:00.000Z and …T03:00:00+01:00 are one instance.
      key === 'runAt' ? [key, parseRunAt(value, timeZone).toISOString()] : [key, value],
    );
    const identifying: JobParameters | undefined =
      given.length === 0 && !request.dryRun
        ? undefined
        : Object.fromEntries([
            ...given.map(([key, value]) => [key, { value, identifying: true }] as const),
            // A dry run is never the real run's instance: completing it must not block the real run.
            ...(request.dryRun ? [['dryRun', { value: 'true', identifying: true }] as const] : []),
          ]);
    const defaultRunAt = this.clock().toISOString();
    job.validateParameters?.({ ...identifying, ...(identifying?.runAt ? {} : { runAt: { value: defaultRunAt, identifying: false } }) });
    await this.abandonStale(jobName);
    // The execution's first heartbeat is stamped by the database after this instant.
    const sentAt = performance.now();
    const launched = await this.repository.launch({
      jobName,
      identifying,
      // A dry run changes nothing, so repeating one is never refused as already complete:
      // each is an instance of its own (a new `run.id`, as a launch without parameters).
      newInstance: Boolean(request.dryRun),
      decide: (current, resolvedIdentifying): NewExecution => {
        if (current?.status === 'COMPLETED') throw new JobInstanceAlreadyCompleteError(jobName, identifyingText(current.parameters), current.id);
        if (current?.status === 'STARTED' || current?.status === 'STOPPING') throw new JobAlreadyRunningError(jobName, current.id);
        if (current) return restartOf(current, request);
        return {
          jobName,
          // runAt is fixed at the first launch and kept by every restart: a run is reproducible.
          parameters: { ...resolvedIdentifying, ...(resolvedIdentifying.runAt ? {} : { runAt: { value: defaultRunAt, identifying: false } }) },
          dryRun: Boolean(request.dryRun),
          trigger: request.trigger,
          triggeredBy: request.triggeredBy ?? null,
          restartOf: null,
          context: {},
        };
      },
    });
    return this.begin(job, launched.execution, launched.lease, sentAt);
  }

  /**
   * Restarts a FAILED or STOPPED execution as a new execution of the same instance:
   * completed steps are skipped, the interrupted one resumes after its last checkpoint.
   */
  async restart(executionId: number, request: { trigger: TriggerType; triggeredBy?: string | null }): Promise<RunningExecution> {
    const previous = await this.repository.getExecution(executionId);
    if (!previous) throw new JobExecutionNotFoundError(executionId);
    const job = this.job(previous.jobName);
    await this.abandonStale(previous.jobName);
    const identifying = Object.fromEntries(Object.entries(previous.parameters).filter(([, p]) => p.identifying));
    const sentAt = performance.now();
    const launched = await this.repository.launch({
      jobName: previous.jobName,
      identifying,
      decide: (current) => {
        if (current && current.id !== executionId) {
          throw new JobRestartError(`execution ${executionId} was already restarted as execution ${current.id}; restart that one`);
        }
        const latest = current ?? previous;
        if (latest.status !== 'FAILED' && latest.status !== 'STOPPED') {
          throw new JobRestartError(`execution ${executionId} of ${latest.jobName} is ${latest.status}; only FAILED or STOPPED executions restart`);
        }
        return restartOf(latest, request);
      },
    });
    return this.begin(job, launched.execution, launched.lease, sentAt);
  }

  /**
   * Asks an execution to stop at its next chunk boundary; it ends STOPPED. Works for an
   * execution running in another process (it polls the repository with its heartbeat).
   */
  async stop(executionId: number): Promise<JobExecution> {
    const execution = await this.repository.getExecution(executionId);
    if (!execution) throw new JobExecutionNotFoundError(executionId);
    await this.abandonStale(execution.jobName);
    const asked = await this.repository.requestStop(executionId);
    this.local.get(executionId)?.run.requestStop();
    const current = await this.repository.getExecutionOrThrow(executionId);
    if (!asked && current.status !== 'STOPPING') {
      throw new JobRestartError(`execution ${executionId} is ${current.status}; only a running execution can be stopped`);
    }
    return current;
  }

  /**
   * Marks dead executions (stale heartbeat) FAILED, or STOPPED when a stop was asked,
   * and tells the listeners as for any ending, in the background: the caller (a launch,
   * an API request) does not wait for a failure mail.
   */
  async abandonStale(jobName?: string): Promise<readonly JobExecution[]> {
    // The history row and the failure notice commit with the abandonment; only what
    // follows the commit (the mail's sending, logs, metrics) goes on in the background.
    const abandoned = await this.repository.abandonStale(this.options.heartbeatTimeoutMs, jobName, (tx, ended) =>
      this.recordEnd(this.jobs.get(ended.jobName), tx, ended, []),
    );
    for (const execution of abandoned) {
      this.options.logger.warn({ job: execution.jobName, execution: execution.id }, execution.exitMessage ?? 'abandoned');
      const sent = this.notify(this.jobs.get(execution.jobName), (l) => l.afterJob?.(execution, [])).finally(() => this.notifications.delete(sent));
      this.notifications.add(sent);
    }
    return abandoned;
  }

  /**
   * Sweeps for dead executions every `intervalMs` (serve): a killed process's run shows
   * FAILED within about one heartbeat timeout, not only at the next launch.
   * Returns the function that stops sweeping.
   */
  sweepEvery(intervalMs: number): () => void {
    const timer = setInterval(() => {
      this.abandonStale().catch((error: unknown) => this.options.logger.warn({ err: error }, 'sweep for abandoned executions failed; trying again later'));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Waits for the listeners this process is still telling in the background (an
   * abandonment's failure mail and audit entry): a command that closes its databases
   * right after `stop` or a launch must not cut them off.
   */
  async settled(): Promise<void> {
    await Promise.all(this.notifications);
  }

  /** Stops every execution of this process and waits for them (graceful shutdown). */
  async stopAll(): Promise<readonly JobExecution[]> {
    const runs = [...this.local.entries()];
    await Promise.all(runs.map(([id]) => this.stop(id).catch(() => undefined)));
    const ended = await Promise.all(runs.map(([, { done }]) => done));
    await Promise.all(this.notifications);
    return ended;
  }

  private begin(job: JobDefinition, execution: JobExecution, lease: { id: number; owner: string }, sentAt: number): RunningExecution {
    const run = new LocalRun();
    const done = this.execute(job, execution, lease, run, sentAt).finally(() => this.local.delete(execution.id));
    this.local.set(execution.id, { run, done });
    return { execution, done };
  }

  private leaseMs(): number {
    const { heartbeatIntervalMs, heartbeatTimeoutMs } = this.options;
    const statementTimeoutMs = this.options.statementTimeoutMs ?? Math.min(15_000, Math.floor(heartbeatTimeoutMs / 3));
    return leaseValidMs({ heartbeatIntervalMs, heartbeatTimeoutMs, statementTimeoutMs, poolWaitTimeoutMs: this.options.poolWaitTimeoutMs ?? 0 });
  }

  private async execute(job: JobDefinition, execution: JobExecution, held: { id: number; owner: string }, run: LocalRun, sentAt: number): Promise<JobExecution> {
    const log = this.options.logger.child({ job: job.name, execution: execution.id });
    const lease = new Lease(
      held,
      this.leaseMs(),
      (lost) => {
        log.error({ err: lost }, 'lease lost: this process ends the run without writing anything more for it');
        run.abort.abort(lost);
      },
      sentAt,
    );
    const protocol = <T>(write: () => Promise<T>): Promise<T> => this.protocolWrite(lease, write);
    // One heartbeat in flight at most: a late one never overlaps the next, and the lease
    // runs from the send time of the one confirmed (lease.ts).
    let beating = false;
    const heartbeat = setInterval(() => {
      if (beating) return;
      try {
        lease.check();
      } catch {
        return;
      }
      beating = true;
      const beatSentAt = performance.now();
      this.repository
        .heartbeat(held)
        .then((status) => {
          lease.confirm(beatSentAt);
          if (status === 'STOPPING') run.requestStop();
        })
        .catch((error: unknown) => {
          if (error instanceof LeaseLostError) lease.lose(error);
          else log.warn({ err: error }, 'heartbeat failed; the lease runs out unless the next one succeeds');
        })
        .finally(() => (beating = false));
    }, this.options.heartbeatIntervalMs);

    try {
      const jobContext = new ExecutionContext(execution.context);
      const previousSteps = execution.restartOf === null ? new Map<string, StepExecution>() : await this.repository.latestStepsOfInstance(execution.instanceId);
      const latest = new Map(previousSteps);
      const ran: StepExecution[] = [];
      let outcome = COMPLETED;
      await this.notify(job, (l) => l.beforeJob?.(execution));
      try {
        for (const step of job.steps) {
          const before = previousSteps.get(step.name);
          if (before?.status === 'COMPLETED') continue;
          if (run.stopRequested) {
            outcome = { status: 'STOPPED', exitCode: 'STOPPED', exitMessage: `stopped on request before ${step.name}` };
            break;
          }
          const result = await this.runStep(job, step, execution, before, jobContext, run, lease, log);
          ran.push(result.execution);
          latest.set(step.name, result.execution);
          outcome = stepOutcome(step.name, result);
          if (result.execution.status === 'FAILED') log.error({ err: result.error, step: step.name }, outcome.exitMessage ?? 'step failed');
          if (outcome.status !== 'COMPLETED') break;
        }
      } catch (error) {
        if (!(error instanceof LeaseLostError)) {
          outcome = { status: 'FAILED', exitCode: 'FAILED', exitMessage: error instanceof Error ? error.message : String(error) };
          log.error({ err: error }, 'job failed outside its steps');
        }
      } finally {
        clearInterval(heartbeat);
      }
      if (lease.lost) return unrecorded(execution, 'LEASE_LOST', lease.lost.message);
      // A completed run carries its steps' warnings (a tasklet's `warn`) as its exit message.
      const warnings = ran.filter((s) => s.status === 'COMPLETED' && s.exitCode === 'COMPLETED' && s.exitMessage).map((s) => `${s.stepName}: ${s.exitMessage}`);
      if (outcome.status === 'COMPLETED' && warnings.length > 0) outcome = { ...outcome, exitMessage: warnings.join('; ') };

      const incomplete = jobContext.get(COUNTS_INCOMPLETE) as readonly string[] | undefined;
      const metrics = await this.metricsOf(job, latest, jobContext, execution, log);
      const finished = await protocol(() =>
        this.repository.finishExecution(held, {
          ...outcome,
          exitMessage: incomplete?.length ? withCountsNote(outcome.exitMessage, incomplete) : outcome.exitMessage,
          context: jobContext.toJSON(),
          metrics: incomplete?.length ? { ...metrics, stepCountsComplete: false } : metrics,
        }, (tx, ended) => this.recordEnd(job, tx, ended, ran)),
      );
      await this.notify(job, (l) => l.afterJob?.(finished, ran));
      return finished;
    } catch (error) {
      // batchdb unavailable past the retries, or the lease lost at the very end: the
      // repository keeps the execution STARTED, the sweep marks it abandoned, it restarts.
      const code = error instanceof LeaseLostError ? 'LEASE_LOST' : 'UNRECORDED';
      log.error({ err: error }, `${job.name}: the end of execution ${execution.id} could not be recorded; it will show abandoned and can be restarted`);
      return unrecorded(execution, code, error instanceof Error ? error.message : String(error));
    } finally {
      clearInterval(heartbeat);
      lease.close();
    }
  }

  /** A write of the run protocol: refused once the lease is gone, retried on transient errors. */
  private async protocolWrite<T>(lease: Lease, write: () => Promise<T>): Promise<T> {
    try {
      // Checked before every attempt: a retry must not land after the lease ran out.
      return await withRetry(
        () => {
          lease.check();
          return write();
        },
        DEFAULT_RETRY,
        this.options.retryHooks ?? {},
      );
    } catch (error) {
      if (error instanceof LeaseLostError) lease.lose(error);
      throw error;
    }
  }

  private async metricsOf(
    job: JobDefinition,
    steps: ReadonlyMap<string, StepExecution>,
    jobContext: ExecutionContext,
    execution: JobExecution,
    log: Logger,
  ): Promise<JsonObject> {
    try {
      const metrics = (await job.metrics?.(steps, jobContext, execution)) ?? {};
      // A dry run's figures are what the job would have done: stored apart, under
      // `dryRun`, so no reader of the repository or history can sum them with real ones.
      return execution.dryRun && Object.keys(metrics).length > 0 ? { [DRY_RUN_METRICS]: metrics } : metrics;
    } catch (error) {
      log.warn({ err: error }, 'job metrics could not be computed');
      return {};
    }
  }

  private async runStep(
    job: JobDefinition,
    step: StepDefinition,
    execution: JobExecution,
    before: StepExecution | undefined,
    jobContext: ExecutionContext,
    run: LocalRun,
    lease: Lease,
    log: Logger,
  ): Promise<StepOutcome> {
    const held = lease.execution;
    const protocol = <T>(write: () => Promise<T>): Promise<T> => this.protocolWrite(lease, write);
    if (step.condition && !step.condition(jobContext)) {
      const skipped = await protocol(() => this.repository.createStepExecution(held, step.name));
      return { execution: await protocol(() => this.repository.finishStep(held, { ...skipped, status: 'COMPLETED', exitCode: 'NOOP', exitMessage: 'condition not met' }, jobContext.toJSON())) };
    }
    // A step taken over from a crash (not a failure, which saves its exact position) may
    // miss counts: the chunks committed after its last checkpoint, and, even with a
    // checkpoint after every chunk, the one committed just before the crash (its rows
    // are gone, so the replay cannot read them again). Say so.
    if (before?.exitCode === 'ABANDONED') {
      const incomplete = (jobContext.get(COUNTS_INCOMPLETE) as readonly string[] | undefined) ?? [];
      if (!incomplete.includes(step.name)) jobContext.set(COUNTS_INCOMPLETE, [...incomplete, step.name]);
    }
    // A restarted step carries on from its last checkpoint: counts and position together.
    const stepExecution = await protocol(() =>
      this.repository.createStepExecution(held, step.name, before ? { counts: before.counts, context: before.context } : undefined),
    );
    await this.notify(job, (l) => l.beforeStep?.(execution, stepExecution));
    // Every step has a timeout: its own, else BATCH_STEP_TIMEOUT_MS.
    const timeoutMs = step.timeoutMs ?? this.options.stepTimeoutMs;
    const timeout = new AbortController();
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => timeout.abort(new StepTimeoutError(step.name, timeoutMs)), timeoutMs);
    const runtime: StepRuntime = {
      execution,
      stepExecution,
      context: {
        jobName: job.name,
        jobExecutionId: execution.id,
        stepName: step.name,
        parameters: execution.parameters,
        runAt: parseRunAt(execution.parameters.runAt?.value ?? execution.createdAt.toISOString()),
        dryRun: execution.dryRun,
        restoredContext: stepExecution.context,
        jobContext,
        signal: AbortSignal.any([run.abort.signal, timeout.signal]),
        checkLease: () => lease.check(),
      },
      listeners: [...(this.options.listeners ?? []), ...(job.listeners ?? [])],
      checkpointIntervalMs: this.options.checkpointIntervalMs,
      retryHooks: this.options.retryHooks ?? {},
      retryOptions: (overrides) => ({ ...DEFAULT_RETRY, ...overrides }),
      saveProgress: (progress) => protocol(() => this.repository.saveStepProgress(held, progress)),
      recordSkip: (skip) => {
        // Drawn before the first attempt: every retry presents the same key.
        const keyed = { ...skip, key: randomUUID() };
        return protocol(() => this.repository.recordSkip(held, keyed));
      },
      checkLease: () => lease.check(),
      stopRequested: () => run.stopRequested,
      now: () => this.clock().getTime(),
      log: log.child({ step: step.name }),
    };
    try {
      const outcome = step.kind === 'chunk' ? await runChunkStep({ ...step, timeoutMs }, runtime) : await runTaskletStep(step, runtime);
      if (lease.lost) throw lease.lost;
      // The step's end and the job context it leaves commit together: a crash between the
      // two left a COMPLETED step (skipped by the restart) whose results were lost.
      const finished = await protocol(() => this.repository.finishStep(held, outcome.execution, jobContext.toJSON()));
      await this.notify(job, (l) => l.afterStep?.(execution, finished));
      return { ...outcome, execution: finished };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The listeners' part of the end's transaction (history row, failure notice); see BatchListener.recordEnd. */
  private async recordEnd(job: JobDefinition | undefined, tx: Kysely<BatchDb>, ended: JobExecution, steps: readonly StepExecution[]): Promise<void> {
    for (const listener of [...(this.options.listeners ?? []), ...(job?.listeners ?? [])]) await listener.recordEnd?.(tx, ended, steps);
  }

  /** Listener failures are logged, never allowed to change a job's outcome. */
  private async notify(job: JobDefinition | undefined, call: (listener: BatchListener) => unknown): Promise<void> {
    for (const listener of [...(this.options.listeners ?? []), ...(job?.listeners ?? [])]) {
      try {
        await call(listener);
      } catch (error) {
        this.options.logger.error({ err: error, job: job?.name }, 'batch listener failed');
      }
    }
  }
}

function restartOf(previous: JobExecution, request: { trigger: TriggerType; triggeredBy?: string | null }): NewExecution {
  return {
    jobName: previous.jobName,
    parameters: previous.parameters,
    dryRun: previous.dryRun,
    trigger: request.trigger,
    triggeredBy: request.triggeredBy ?? null,
    restartOf: previous.id,
    context: previous.context,
  };
}

function stepOutcome(stepName: string, result: StepOutcome): JobOutcome {
  const { status, exitMessage } = result.execution;
  if (status === 'STOPPED') return { status: 'STOPPED', exitCode: 'STOPPED', exitMessage: `stopped on request during ${stepName}` };
  if (status === 'FAILED') return { status: 'FAILED', exitCode: 'FAILED', exitMessage: `${stepName} failed: ${exitMessage ?? 'unknown error'}` };
  return COMPLETED;
}

function withCountsNote(message: string | null, steps: readonly string[]): string {
  const note = `counts of ${steps.join(', ')} are a lower bound: chunks committed after the last checkpoint before a crash are not counted`;
  return message === null ? note : `${message}; ${note}`;
}

/** The run as this process ended it, when the repository could not be told (or is no longer ours to tell). */
function unrecorded(execution: JobExecution, exitCode: string, exitMessage: string): JobExecution {
  return { ...execution, status: 'FAILED', exitCode, exitMessage, endTime: new Date() };
}
