/**
 * Launches, restarts and stops jobs (Spring Batch's JobOperator and JobLauncher in one).
 * Every decision that must hold across processes goes through the JobRepository; what
 * lives here is only this process's view of the executions it runs.
 *
 * Background work never throws at its caller: a run's `done` resolves whatever happens
 * (batchdb gone, lease lost), and abandonment notifications go out on their own, so a
 * launch never waits on a mail server (docs/engine.md).
 */
import { JobAlreadyRunningError, JobExecutionNotFoundError, JobInstanceAlreadyCompleteError, JobNotFoundError, JobRestartError } from './errors.js';
import { checkParameters, parseRunAt } from './job-parameters.js';
import { identifyingText, type NewExecution } from './job-launch.js';
import type { JobRepository } from './job-repository.js';
import { JobRunner, LocalRun, type RunnerOptions } from './job-runner.js';
import { EngineListeners } from './listeners.js';
import type { BatchListener, JobDefinition, JobExecution, JobParameters, TriggerType } from './types.js';

export interface OperatorOptions extends Omit<RunnerOptions, 'clock'> {
  /** Engine-wide listeners (logging, history, metrics, failure alerts), run before each job's own. */
  readonly listeners?: readonly BatchListener[];
  readonly clock?: () => Date;
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

export class JobOperator {
  private readonly jobs: ReadonlyMap<string, JobDefinition>;
  private readonly local = new Map<number, { readonly run: LocalRun; readonly done: Promise<JobExecution> }>();
  private readonly notifications = new Set<Promise<void>>();
  private readonly clock: () => Date;
  private readonly listeners: EngineListeners;
  private readonly runner: JobRunner;

  constructor(
    readonly repository: JobRepository,
    jobs: readonly JobDefinition[],
    private readonly options: OperatorOptions,
  ) {
    this.jobs = new Map(jobs.map((job) => [job.name, job]));
    this.clock = options.clock ?? (() => new Date());
    this.listeners = new EngineListeners(options.listeners ?? [], options.logger);
    this.runner = new JobRunner(repository, this.listeners, { ...options, clock: this.clock });
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
      this.listeners.recordEnd(this.jobs.get(ended.jobName), tx, ended, []),
    );
    for (const execution of abandoned) {
      this.options.logger.warn({ job: execution.jobName, execution: execution.id }, execution.exitMessage ?? 'abandoned');
      const sent = this.listeners.notify(this.jobs.get(execution.jobName), (l) => l.afterJob?.(execution, [])).finally(() => this.notifications.delete(sent));
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
    const done = this.runner.run(job, execution, lease, run, sentAt).finally(() => this.local.delete(execution.id));
    this.local.set(execution.id, { run, done });
    return { execution, done };
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
