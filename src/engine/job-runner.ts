/**
 * Runs one execution in this process, from its first step to its recorded end: the
 * heartbeat that keeps its lease, each step with its timeout and listeners, and the end's
 * transaction. JobOperator decides what runs (launch, restart, stop); this is how it runs.
 *
 * Never throws at its caller: a run that cannot record its end (batchdb gone, lease lost)
 * resolves as UNRECORDED or LEASE_LOST, stays STARTED in the repository and is
 * abandoned by the sweep, then restartable (docs/engine.md).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { LeaseLostError, StepTimeoutError } from './errors.js';
import { contextKey, ExecutionContext } from './execution-context.js';
import { parseRunAt } from './job-parameters.js';
import type { JobRepository } from './job-repository.js';
import { keepAlive, Lease, leaseValidMs } from './lease.js';
import type { EngineListeners } from './listeners.js';
import { runChunkStep } from './chunk-step.js';
import { DEFAULT_RETRY, withRetry, type RetryHooks } from './retry.js';
import type { StepOutcome, StepRuntime } from './step-runtime.js';
import { runTaskletStep } from './tasklet-step.js';
import { DRY_RUN_METRICS, type BatchStatus, type JobDefinition, type JobExecution, type JsonObject, type StepDefinition, type StepExecution } from './types.js';

export interface RunnerOptions {
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
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly retryHooks?: RetryHooks;
}

/** How a job's run ended, as one value. */
interface JobOutcome {
  readonly status: BatchStatus;
  readonly exitCode: string;
  readonly exitMessage: string | null;
}

const COMPLETED: JobOutcome = { status: 'COMPLETED', exitCode: 'COMPLETED', exitMessage: null };

/** Job context key of the steps whose counts miss the chunks a crash left unrecorded. */
const COUNTS_INCOMPLETE = contextKey<readonly string[]>('engine.countsIncompleteSteps');

/** This process's part of an execution it runs. */
export class LocalRun {
  stopRequested = false;
  readonly abort = new AbortController();

  requestStop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.abort.abort(new Error('stop requested'));
  }
}

export class JobRunner {
  constructor(
    private readonly repository: JobRepository,
    private readonly listeners: EngineListeners,
    private readonly options: RunnerOptions,
  ) {}

  private leaseMs(): number {
    const { heartbeatIntervalMs, heartbeatTimeoutMs } = this.options;
    const statementTimeoutMs = this.options.statementTimeoutMs ?? Math.min(15_000, Math.floor(heartbeatTimeoutMs / 3));
    return leaseValidMs({ heartbeatIntervalMs, heartbeatTimeoutMs, statementTimeoutMs, poolWaitTimeoutMs: this.options.poolWaitTimeoutMs ?? 0 });
  }

  /** Runs an execution this process has just launched, to its end; never rejects. */
  async run(job: JobDefinition, execution: JobExecution, held: { id: number; owner: string }, run: LocalRun, sentAt: number): Promise<JobExecution> {
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
    const stopBeating = keepAlive(lease, () => this.repository.heartbeat(held), this.options.heartbeatIntervalMs, {
      onStopAsked: () => run.requestStop(),
      onFailure: (error) => log.warn({ err: error }, 'heartbeat failed; the lease runs out unless the next one succeeds'),
    });
    try {
      const jobContext = new ExecutionContext(execution.context);
      const previousSteps = execution.restartOf === null ? new Map<string, StepExecution>() : await this.repository.latestStepsOfInstance(execution.instanceId);
      const latest = new Map(previousSteps);
      const ran: StepExecution[] = [];
      let outcome = COMPLETED;
      await this.listeners.notify(job, (l) => l.beforeJob?.(execution));
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
      }
      if (lease.lost) return unrecorded(execution, 'LEASE_LOST', lease.lost.message);
      // A completed run carries its steps' warnings (a tasklet's `warn`) as its exit message.
      const warnings = ran.filter((s) => s.status === 'COMPLETED' && s.exitCode === 'COMPLETED' && s.exitMessage).map((s) => `${s.stepName}: ${s.exitMessage}`);
      if (outcome.status === 'COMPLETED' && warnings.length > 0) outcome = { ...outcome, exitMessage: warnings.join('; ') };

      const incomplete = jobContext.read(COUNTS_INCOMPLETE);
      let metrics: JsonObject = {};
      try {
        // The heartbeat goes on meanwhile: with its retries, the read may outlast a lease.
        metrics = await this.metricsOf(job, latest, jobContext, execution);
      } catch (error) {
        // A run is done when the figures people read are: a run whose steps completed but
        // whose figures could not be read ends FAILED, and its restart (every step skipped)
        // reads them. Kept COMPLETED it could never be restarted, its figures lost for good.
        const message = error instanceof Error ? error.message : String(error);
        if (outcome.status === 'COMPLETED') outcome = { status: 'FAILED', exitCode: 'FAILED', exitMessage: `its figures could not be read: ${message}` };
        log.error({ err: error }, 'job figures could not be read');
      }
      stopBeating();
      // Lost while the figures were read (TypeScript still holds the check above).
      const lostMeanwhile = lease.lost as LeaseLostError | undefined;
      if (lostMeanwhile) return unrecorded(execution, 'LEASE_LOST', lostMeanwhile.message);
      const finished = await protocol(() =>
        this.repository.finishExecution(held, {
          ...outcome,
          exitMessage: incomplete?.length ? withCountsNote(outcome.exitMessage, incomplete) : outcome.exitMessage,
          context: jobContext.toJSON(),
          metrics: incomplete?.length ? { ...metrics, stepCountsComplete: false } : metrics,
        }, (tx, ended) => this.listeners.recordEnd(job, tx, ended, ran)),
      );
      await this.listeners.notify(job, (l) => l.afterJob?.(finished, ran));
      return finished;
    } catch (error) {
      // batchdb unavailable past the retries, or the lease lost at the very end: the
      // repository keeps the execution STARTED, the sweep marks it abandoned, it restarts.
      const code = error instanceof LeaseLostError ? 'LEASE_LOST' : 'UNRECORDED';
      log.error({ err: error }, `${job.name}: the end of execution ${execution.id} could not be recorded; it will show abandoned and can be restarted`);
      return unrecorded(execution, code, error instanceof Error ? error.message : String(error));
    } finally {
      stopBeating();
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
  ): Promise<JsonObject> {
    // The figures are read from the databases (alerts recorded, rows suspended): a lost
    // connection or a lock wait is retried as any read is (the fault harness found runs
    // ending COMPLETED with no figures behind a reset link and a locked table).
    const metrics = await withRetry(async () => (await job.metrics?.(steps, jobContext, execution)) ?? {}, DEFAULT_RETRY, this.options.retryHooks ?? {});
    // A dry run's figures are what the job would have done: stored apart, under
    // `dryRun`, so no reader of the repository or history can sum them with real ones.
    return execution.dryRun && Object.keys(metrics).length > 0 ? { [DRY_RUN_METRICS]: metrics } : metrics;
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
    // So may a step whose end was never recorded (its last write failed, the run's end
    // did not): its row still says STARTED, with the counts of its last checkpoint.
    if (before?.exitCode === 'ABANDONED' || before?.status === 'STARTED') markCountsIncomplete(jobContext, step.name);
    // A restarted step carries on from its last checkpoint: counts and position together.
    const stepExecution = await protocol(() =>
      this.repository.createStepExecution(held, step.name, before ? { counts: before.counts, context: before.context } : undefined),
    );
    await this.listeners.notify(job, (l) => l.beforeStep?.(execution, stepExecution));
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
      listeners: this.listeners.of(job),
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
      now: () => this.options.clock().getTime(),
      log: log.child({ step: step.name }),
    };
    try {
      const outcome = step.kind === 'chunk' ? await runChunkStep({ ...step, timeoutMs }, runtime) : await runTaskletStep(step, runtime);
      if (lease.lost) throw lease.lost;
      if (outcome.countsIncomplete) markCountsIncomplete(jobContext, step.name);
      // The step's end and the job context it leaves commit together: a crash between the
      // two left a COMPLETED step (skipped by the restart) whose results were lost.
      const finished = await protocol(() => this.repository.finishStep(held, outcome.execution, jobContext.toJSON()));
      await this.listeners.notify(job, (l) => l.afterStep?.(execution, finished));
      return { ...outcome, execution: finished };
    } finally {
      clearTimeout(timer);
    }
  }
}

function stepOutcome(stepName: string, result: StepOutcome): JobOutcome {
  const { status, exitMessage } = result.execution;
  if (status === 'STOPPED') return { status: 'STOPPED', exitCode: 'STOPPED', exitMessage: `stopped on request during ${stepName}` };
  if (status === 'FAILED') return { status: 'FAILED', exitCode: 'FAILED', exitMessage: `${stepName} failed: ${exitMessage ?? 'unknown error'}` };
  return COMPLETED;
}

function withCountsNote(message: string | null, steps: readonly string[]): string {
  const note = `counts of ${steps.join(', ')} are a lower bound: chunks that committed without the run knowing it (a crash, a lost connection) are not counted`;
  return message === null ? note : `${message}; ${note}`;
}

/** The run as this process ended it, when the repository could not be told (or is no longer ours to tell). */
function unrecorded(execution: JobExecution, exitCode: string, exitMessage: string): JobExecution {
  return { ...execution, status: 'FAILED', exitCode, exitMessage, endTime: new Date() };
}

/** Notes in the job context that a step's counts are a lower bound; it stays through restarts. */
function markCountsIncomplete(jobContext: ExecutionContext, stepName: string): void {
  const incomplete = jobContext.read(COUNTS_INCOMPLETE) ?? [];
  if (!incomplete.includes(stepName)) jobContext.write(COUNTS_INCOMPLETE, [...incomplete, stepName]);
}
