/**
 * Launches, restarts and stops jobs (Spring Batch's JobOperator and JobLauncher in one).
 * Every decision that must hold across processes goes through the JobRepository; what
 * lives here is only this process's view of the executions it runs.
 */
import type { Logger } from 'pino';
import {
  JobAlreadyRunningError,
  JobExecutionNotFoundError,
  JobInstanceAlreadyCompleteError,
  JobNotFoundError,
  JobRestartError,
} from './errors.js';
import { ExecutionContext } from './execution-context.js';
import { checkParameters, parseRunAt } from './job-parameters.js';
import { identifyingText, JobRepository } from './job-repository.js';
import { runChunkStep } from './chunk-step.js';
import { DEFAULT_RETRY, type RetryHooks } from './retry.js';
import type { StepOutcome, StepRuntime } from './step-runtime.js';
import { runTaskletStep } from './tasklet-step.js';
import type {
  BatchListener,
  BatchStatus,
  JobDefinition,
  JobExecution,
  JobParameter,
  JobParameters,
  StepDefinition,
  StepExecution,
  TriggerType,
} from './types.js';

export interface OperatorOptions {
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly checkpointIntervalMs: number;
  /** Engine-wide listeners (logging, history, metrics, failure alerts), run before each job's own. */
  readonly listeners?: readonly BatchListener[];
  readonly logger: Logger;
  readonly clock?: () => Date;
  readonly retryHooks?: RetryHooks;
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
  /** Resolves with the execution once it has ended, whatever its status. */
  readonly done: Promise<JobExecution>;
}

interface LocalRun {
  stopRequested: boolean;
  readonly abort: AbortController;
  readonly done: Promise<JobExecution>;
}

export class JobOperator {
  private readonly jobs: ReadonlyMap<string, JobDefinition>;
  private readonly local = new Map<number, LocalRun>();
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
   * restart of it; as a COMPLETED one = an error; none at all = a fresh instance
   * (`run.id` incremented).
   *
   * @example
   * const { execution, done } = await operator.start('tokenCleanupJob', { trigger: 'CLI' });
   * const finished = await done; // finished.status === 'COMPLETED'
   */
  async start(jobName: string, request: LaunchRequest): Promise<RunningExecution> {
    const job = this.job(jobName);
    // Refused before anything is written: a bad launch leaves no instance behind.
    checkParameters(request.parameters ?? {});
    const parameters: Record<string, JobParameter> = {};
    for (const [key, value] of Object.entries(request.parameters ?? {})) parameters[key] = { value, identifying: true };
    job.validateParameters?.({ ...parameters, ...(parameters.runAt ? {} : { runAt: { value: this.clock().toISOString(), identifying: false } }) });
    await this.abandonStale(jobName);
    // A dry run is its own instance: completing it must not block the real run.
    if (request.dryRun) parameters.dryRun = { value: 'true', identifying: true };
    const { instanceId, identifying } =
      Object.keys(parameters).length === 0
        ? await this.newInstance(jobName)
        : { instanceId: await this.repository.findOrCreateInstance(jobName, parameters), identifying: parameters };
    const previous = await this.repository.lastExecutionOfInstance(instanceId);
    if (previous?.status === 'COMPLETED') {
      throw new JobInstanceAlreadyCompleteError(jobName, identifyingText(previous.parameters), previous.id);
    }
    if (previous?.status === 'STARTED' || previous?.status === 'STOPPING') throw new JobAlreadyRunningError(jobName, previous.id);
    if (previous) return this.launch(job, previous, request);
    const resolved: JobParameters = {
      ...identifying,
      // Fixed at the first launch and kept by every restart: a run is reproducible (REQUIREMENTS.md).
      ...(identifying.runAt ? {} : { runAt: { value: this.clock().toISOString(), identifying: false } }),
    };
    const execution = await this.repository.createExecution({
      instanceId,
      jobName,
      parameters: resolved,
      dryRun: Boolean(request.dryRun),
      trigger: request.trigger,
      triggeredBy: request.triggeredBy ?? null,
      restartOf: null,
      context: {},
    });
    return this.begin(job, execution, new Map());
  }

  /**
   * Restarts a FAILED or STOPPED execution as a new execution of the same instance:
   * completed steps are skipped, the interrupted one resumes after its last checkpoint.
   */
  async restart(executionId: number, request: { trigger: TriggerType; triggeredBy?: string | null }): Promise<RunningExecution> {
    const previous = await this.repository.getExecution(executionId);
    if (!previous) throw new JobExecutionNotFoundError(executionId);
    await this.abandonStale(previous.jobName);
    return this.launch(this.job(previous.jobName), (await this.repository.getExecution(executionId)) ?? previous, request);
  }

  private async launch(job: JobDefinition, previous: JobExecution, request: { trigger: TriggerType; triggeredBy?: string | null }): Promise<RunningExecution> {
    if (previous.status !== 'FAILED' && previous.status !== 'STOPPED') {
      throw new JobRestartError(
        `execution ${previous.id} of ${previous.jobName} is ${previous.status}; only FAILED or STOPPED executions restart`,
      );
    }
    const latest = await this.repository.lastExecutionOfInstance(previous.instanceId);
    if (latest && latest.id !== previous.id) {
      throw new JobRestartError(`execution ${previous.id} was already restarted as execution ${latest.id}; restart that one`);
    }
    const steps = await this.repository.latestStepsOfInstance(previous.instanceId);
    const execution = await this.repository.createExecution({
      instanceId: previous.instanceId,
      jobName: previous.jobName,
      parameters: previous.parameters,
      dryRun: previous.dryRun,
      trigger: request.trigger,
      triggeredBy: request.triggeredBy ?? null,
      restartOf: previous.id,
      context: previous.context,
    });
    return this.begin(job, execution, steps);
  }

  /** A new instance without identifying parameters: Spring's RunIdIncrementer. */
  private async newInstance(jobName: string): Promise<{ instanceId: number; identifying: JobParameters }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const runId = String((await this.repository.countInstances(jobName)) + 1 + attempt);
      const identifying: JobParameters = { 'run.id': { value: runId, identifying: true } };
      const instanceId = await this.repository.findOrCreateInstance(jobName, identifying);
      if (!(await this.repository.lastExecutionOfInstance(instanceId))) return { instanceId, identifying };
    }
    throw new Error(`${jobName}: could not allocate a new run.id`);
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
    const local = this.local.get(executionId);
    if (local) {
      local.stopRequested = true;
      local.abort.abort(new Error('stop requested'));
    }
    const current = await this.repository.getExecutionOrThrow(executionId);
    if (!asked && current.status !== 'STOPPING') {
      throw new JobRestartError(`execution ${executionId} is ${current.status}; only a running execution can be stopped`);
    }
    return current;
  }

  /** Marks dead executions (stale heartbeat) FAILED and tells the listeners, as for any failure. */
  async abandonStale(jobName?: string): Promise<readonly JobExecution[]> {
    const abandoned = await this.repository.abandonStale(this.options.heartbeatTimeoutMs, jobName);
    for (const execution of abandoned) {
      this.options.logger.warn({ job: execution.jobName, execution: execution.id }, execution.exitMessage ?? 'abandoned');
      await this.notify(this.jobs.get(execution.jobName), (l) =>
        l.afterJob?.(execution, []),
      );
    }
    return abandoned;
  }

  /** Stops every execution of this process and waits for them (graceful shutdown). */
  async stopAll(): Promise<readonly JobExecution[]> {
    const runs = [...this.local.entries()];
    await Promise.all(runs.map(([id]) => this.stop(id).catch(() => undefined)));
    return Promise.all(runs.map(([, run]) => run.done));
  }

  private begin(job: JobDefinition, execution: JobExecution, previousSteps: ReadonlyMap<string, StepExecution>): RunningExecution {
    const run: LocalRun = { stopRequested: false, abort: new AbortController(), done: undefined as never };
    const done = this.execute(job, execution, previousSteps, run).finally(() => this.local.delete(execution.id));
    Object.assign(run, { done });
    this.local.set(execution.id, run);
    return { execution, done };
  }

  private async execute(
    job: JobDefinition,
    execution: JobExecution,
    previousSteps: ReadonlyMap<string, StepExecution>,
    run: LocalRun,
  ): Promise<JobExecution> {
    const log = this.options.logger.child({ job: job.name, execution: execution.id });
    const jobContext = new ExecutionContext(execution.context);
    const heartbeat = setInterval(() => {
      this.repository
        .heartbeat(execution.id)
        .then((status) => {
          if (status === 'STOPPING' && !run.stopRequested) {
            run.stopRequested = true;
            run.abort.abort(new Error('stop requested'));
          }
        })
        .catch((error: unknown) => log.warn({ err: error }, 'heartbeat failed'));
    }, this.options.heartbeatIntervalMs);

    const latest = new Map(previousSteps);
    const ran: StepExecution[] = [];
    let status: BatchStatus = 'COMPLETED';
    let exitCode = 'COMPLETED';
    let exitMessage: string | null = null;
    await this.notify(job, (l) => l.beforeJob?.(execution));
    try {
      for (const step of job.steps) {
        const before = previousSteps.get(step.name);
        if (before?.status === 'COMPLETED') continue;
        if (run.stopRequested) {
          [status, exitCode, exitMessage] = ['STOPPED', 'STOPPED', `stopped on request before ${step.name}`];
          break;
        }
        const outcome = await this.runStep(job, step, execution, before, jobContext, run, log);
        ran.push(outcome.execution);
        latest.set(step.name, outcome.execution);
        await this.repository.saveJobContext(execution.id, jobContext.toJSON());
        if (outcome.execution.status === 'STOPPED') {
          [status, exitCode, exitMessage] = ['STOPPED', 'STOPPED', `stopped on request during ${step.name}`];
          break;
        }
        if (outcome.execution.status === 'FAILED') {
          [status, exitCode, exitMessage] = ['FAILED', 'FAILED', `${step.name} failed: ${outcome.execution.exitMessage ?? 'unknown error'}`];
          log.error({ err: outcome.error, step: step.name }, exitMessage);
          break;
        }
      }
    } catch (error) {
      [status, exitCode, exitMessage] = ['FAILED', 'FAILED', error instanceof Error ? error.message : String(error)];
      log.error({ err: error }, 'job failed outside its steps');
    } finally {
      clearInterval(heartbeat);
    }

    let metrics = {};
    try {
      metrics = job.metrics?.(latest, jobContext) ?? {};
    } catch (error) {
      log.warn({ err: error }, 'job metrics could not be computed');
    }
    const finished = await this.repository.finishExecution(execution.id, {
      status,
      exitCode,
      exitMessage,
      context: jobContext.toJSON(),
      metrics,
    });
    await this.notify(job, (l) => l.afterJob?.(finished, ran));
    return finished;
  }

  private async runStep(
    job: JobDefinition,
    step: StepDefinition,
    execution: JobExecution,
    before: StepExecution | undefined,
    jobContext: ExecutionContext,
    run: LocalRun,
    log: Logger,
  ): Promise<StepOutcome> {
    if (step.condition && !step.condition(jobContext)) {
      const skipped = await this.repository.createStepExecution(execution.id, step.name);
      return { execution: await this.repository.finishStep({ ...skipped, status: 'COMPLETED', exitCode: 'NOOP', exitMessage: 'condition not met' }) };
    }
    // A restarted step carries on from its last checkpoint: counts and position together.
    const stepExecution = await this.repository.createStepExecution(
      execution.id,
      step.name,
      before ? { counts: before.counts, context: before.context } : undefined,
    );
    await this.notify(job, (l) => l.beforeStep?.(execution, stepExecution));
    const runtime: StepRuntime = {
      repository: this.repository,
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
        signal: run.abort.signal,
      },
      listeners: [...(this.options.listeners ?? []), ...(job.listeners ?? [])],
      checkpointIntervalMs: this.options.checkpointIntervalMs,
      retryHooks: this.options.retryHooks ?? {},
      retryOptions: (overrides) => ({ ...DEFAULT_RETRY, ...overrides }),
      stopRequested: () => run.stopRequested,
      now: () => this.clock().getTime(),
      log: log.child({ step: step.name }),
    };
    const outcome = step.kind === 'chunk' ? await runChunkStep(step, runtime) : await runTaskletStep(step, runtime);
    const finished = await this.repository.finishStep(outcome.execution);
    await this.notify(job, (l) => l.afterStep?.(execution, finished));
    return { ...outcome, execution: finished };
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
