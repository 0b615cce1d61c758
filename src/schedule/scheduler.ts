/**
 * Cron triggers (1.1, 2.1, 3.1, 4.1, 5.1) with croner, in BATCH_TIMEZONE. A scheduled
 * launch passes its fire time as the identifying `runAt`, so replicas firing the same
 * schedule ask for the same JobInstance and the repository lets one of them run it.
 *
 * Misfires: at start-up, the latest fire of each schedule is launched when it is younger
 * than the grace period and no instance exists for it yet, i.e. no replica and no earlier
 * life of this process fired it. Only the latest fire is considered, so a long outage
 * makes one run, never a burst of catch-up runs.
 */
import { Cron } from 'croner';
import type { Logger } from 'pino';
import { JobAlreadyRunningError, JobInstanceAlreadyCompleteError } from '../engine/errors.js';
import type { JobOperator } from '../engine/job-operator.js';
import { jobKey } from '../engine/job-launch.js';
import type { JobExecution } from '../engine/types.js';
import type { ScheduledJob } from '../jobs/schedules.js';
import { latestFireTime, nextFireTime, quartzCron, quartzOptions } from '../cron/quartz-cron.js';

export type FireOutcome =
  | { readonly jobName: string; readonly fireTime: Date; readonly result: 'launched'; readonly executionId: number; readonly done: Promise<JobExecution> }
  | { readonly jobName: string; readonly fireTime: Date; readonly result: 'refused'; readonly reason: string }
  | { readonly jobName: string; readonly fireTime: Date; readonly result: 'failed'; readonly error: unknown };

export interface SchedulerOptions {
  readonly timeZone: string;
  /** A missed fire younger than this runs at start-up; 0 turns misfire handling off. */
  readonly misfireGraceMs: number;
  readonly logger: Logger;
  readonly clock?: () => Date;
}

export class Scheduler {
  private readonly timers = new Map<string, Cron>();
  private readonly clock: () => Date;

  constructor(
    private readonly operator: JobOperator,
    readonly jobs: readonly ScheduledJob[],
    private readonly options: SchedulerOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** Runs the missed fires, then arms the timers. Resolves with what the misfire check launched. */
  async start(): Promise<readonly FireOutcome[]> {
    const misfires = await this.runMisfires();
    for (const { jobName, cron } of this.jobs) {
      const timer: Cron = new Cron(cron, { ...quartzOptions(this.options.timeZone), protect: true }, async () => {
        const fireTime = latestFireTime(timer, this.clock()) ?? this.clock();
        await this.fire(jobName, fireTime);
      });
      this.timers.set(jobName, timer);
    }
    this.options.logger.info(
      { timeZone: this.options.timeZone, jobs: this.jobs.map((j) => `${j.jobName} ${j.cron}`) },
      'scheduler started',
    );
    return misfires;
  }

  /**
   * Launches the run of one fire time. Another replica having taken it (already running
   * or already completed) is the expected outcome in a cluster, not an error.
   */
  async fire(jobName: string, fireTime: Date, triggeredBy = 'scheduler'): Promise<FireOutcome> {
    const log = this.options.logger;
    try {
      const { execution, done } = await this.operator.start(jobName, {
        parameters: { runAt: fireTime.toISOString() },
        trigger: 'SCHEDULED',
        triggeredBy,
      });
      log.info({ job: jobName, execution: execution.id, fireTime }, `${jobName} fired by its schedule (${triggeredBy})`);
      return { jobName, fireTime, result: 'launched', executionId: execution.id, done };
    } catch (error) {
      if (error instanceof JobAlreadyRunningError || error instanceof JobInstanceAlreadyCompleteError) {
        log.info({ job: jobName, fireTime }, `${jobName} schedule: ${error.message}`);
        return { jobName, fireTime, result: 'refused', reason: error.message };
      }
      log.error({ err: error, job: jobName, fireTime }, `${jobName} schedule could not launch the job`);
      return { jobName, fireTime, result: 'failed', error };
    }
  }

  /**
   * Next fire time of each scheduled job (null when the expression has no future fire):
   * the armed timer's own once started, else computed the same way (quartz-cron.ts).
   */
  nextRuns(): ReadonlyMap<string, Date | null> {
    const now = this.clock();
    return new Map(this.jobs.map(({ jobName, cron }) => [jobName, this.timers.get(jobName)?.nextRun(now) ?? nextFireTime(cron, this.options.timeZone, now)]));
  }

  stop(): void {
    for (const timer of this.timers.values()) timer.stop();
    this.timers.clear();
  }

  private async runMisfires(): Promise<FireOutcome[]> {
    if (this.options.misfireGraceMs <= 0) return [];
    const now = this.clock();
    const outcomes: FireOutcome[] = [];
    for (const { jobName, cron } of this.jobs) {
      const missed = latestFireTime(quartzCron(cron, this.options.timeZone), now);
      if (!missed || now.getTime() - missed.getTime() > this.options.misfireGraceMs) continue;
      const key = jobKey({ runAt: { value: missed.toISOString(), identifying: true } });
      if ((await this.operator.repository.findInstance(jobName, key)) !== undefined) continue;
      this.options.logger.warn({ job: jobName, fireTime: missed }, `${jobName}: the fire of ${missed.toISOString()} was missed; running it now`);
      outcomes.push(await this.fire(jobName, missed, 'scheduler (misfire)'));
    }
    return outcomes;
  }
}
