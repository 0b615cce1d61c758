/**
 * Prometheus metrics (8.1–8.4, 8.6) under Spring Batch's names where one exists, so the
 * platform's Grafana dashboards keep working: `spring_batch_job_seconds{name,status}`
 * (its `_count` is the executions by status), `spring_batch_step_seconds{name,job_name,status}`,
 * `spring_batch_job_active{name}`. Spring Batch has no item counters (its item timers time
 * each read, which this engine does not do per item), so item counts have their own names.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Jobs run from seconds to hours: buckets up to 2 h. */
const JOB_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200];
const CHUNK_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface BatchMetrics {
  readonly registry: Registry;
  readonly jobSeconds: Histogram<'name' | 'status'>;
  readonly stepSeconds: Histogram<'name' | 'job_name' | 'status'>;
  readonly chunkSeconds: Histogram<'job_name' | 'step_name'>;
  readonly itemsRead: Counter<'job_name' | 'step_name'>;
  readonly itemsWritten: Counter<'job_name' | 'step_name'>;
  readonly itemsSkipped: Counter<'job_name' | 'step_name'>;
  readonly itemsFiltered: Counter<'job_name' | 'step_name'>;
  readonly activeJobs: Gauge<'name'>;
  readonly scheduledJobs: Gauge;
  readonly successRatio: Gauge;
  readonly eventsDelivered: Counter;
  readonly eventsFailed: Counter;
  readonly eventSendFailures: Counter;
  readonly eventsPending: Gauge;
  /** Job-specific figures (`refreshTokensDeleted`, `alertes3Ans`…), summed over this process's runs. */
  readonly jobMetricTotal: Counter<'job_name' | 'metric'>;
}

/**
 * What batchdb says of each job's runs, read at scrape time so every replica agrees: from
 * the per-job summary the engine updates as each run ends (batch_job_summary), one small
 * table, never a scan of the executions, and untouched by the retention's purge.
 */
export interface JobFigures {
  /** Numeric metrics of the newest COMPLETED (real, not dry) run of each job. */
  readonly lastRunMetrics: ReadonlyMap<string, Readonly<Record<string, number>>>;
  /** End of the newest COMPLETED / FAILED run of each job. */
  readonly lastSuccess: ReadonlyMap<string, Date>;
  readonly lastFailure: ReadonlyMap<string, Date>;
  /** Per job and final status: real runs ever ended (cumulative, a purge lowers nothing). */
  readonly executions: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Per job and final status: how long the newest of those runs took. */
  readonly lastDurationMs: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** What the metrics read from batchdb at scrape time, given by the app that owns batchdb. */
export interface MetricSources {
  /** The outbox's pending events. */
  readonly pendingEvents?: () => Promise<number>;
  /** The job figures every replica agrees on. */
  readonly jobFigures?: () => Promise<JobFigures>;
}

/**
 * prom-client's `nodejs_active_{handles,requests,resources}_total` are gauges with a
 * counter's suffix, which `promtool check metrics` reports; the same figures stay under
 * `nodejs_active_handles`, `nodejs_active_requests` and `nodejs_active_resources` (by type).
 */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * The metrics of one app, in a registry of their own: the app creates them and hands them
 * to what feeds them (the engine's listener, the outbox relay, the scheduler's count) and
 * to the route that exposes them. Two apps in one process (tests build several) count
 * apart.
 */
export function createBatchMetrics(sources: MetricSources = {}): BatchMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  // One read of batchdb per scrape feeds the gauges below: prom-client starts every
  // metric's collect() in the same tick, so they share the read in flight, and the next
  // scrape reads afresh. (Cleared on the next event-loop turn instead, a scrape right
  // after a run on SQLite, which never leaves the microtask queue, read the figures
  // from before the run.)
  let figures: Promise<JobFigures | undefined> | undefined;
  const currentFigures = () => {
    figures ??= (sources.jobFigures?.() ?? Promise.resolve(undefined)).catch(() => undefined).finally(() => (figures = undefined));
    return figures;
  };
  const fromBatchDb = (name: string, help: string, labelNames: readonly string[], fill: (gauge: Gauge<string>, f: JobFigures) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const f = await currentFigures();
        this.reset();
        if (f) fill(this, f);
      },
    });
  fromBatchDb('batch_job_last_run_metric', 'Job-specific figures of the newest COMPLETED run of each job (batchdb; every replica agrees)', ['job_name', 'metric'], (gauge, f) => {
    for (const [job, metrics] of f.lastRunMetrics) for (const [metric, value] of Object.entries(metrics)) gauge.set({ job_name: job, metric }, value);
  });
  fromBatchDb('batch_job_last_success_timestamp_seconds', 'End of the newest COMPLETED run of each job, Unix seconds (batchdb)', ['job_name'], (gauge, f) => {
    for (const [job, at] of f.lastSuccess) gauge.set({ job_name: job }, at.getTime() / 1000);
  });
  fromBatchDb('batch_job_last_failure_timestamp_seconds', 'End of the newest FAILED run of each job, Unix seconds (batchdb)', ['job_name'], (gauge, f) => {
    for (const [job, at] of f.lastFailure) gauge.set({ job_name: job }, at.getTime() / 1000);
  });
  fromBatchDb('batch_job_last_duration_seconds', 'Duration of the newest run of each job that ended with each status (batchdb)', ['job_name', 'status'], (gauge, f) => {
    for (const [job, byStatus] of f.lastDurationMs) for (const [status, ms] of byStatus) gauge.set({ job_name: job, status }, ms / 1000);
  });
  new Counter({
    name: 'batch_job_executions_total',
    help: 'Real runs of each job ended with each status, ever (batchdb: every replica says the same, and purging old executions lowers nothing)',
    labelNames: ['job_name', 'status'],
    registers: [registry],
    async collect() {
      const f = await currentFigures();
      this.reset();
      if (f) for (const [job, byStatus] of f.executions) for (const [status, n] of byStatus) this.inc({ job_name: job, status }, n);
    },
  });
  const items = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['job_name', 'step_name'] as const, registers: [registry] });
  const jobSeconds = new Histogram({
    name: 'spring_batch_job_seconds',
    help: 'Batch job duration; _count is the number of executions by status',
    labelNames: ['name', 'status'] as const,
    buckets: JOB_BUCKETS,
    registers: [registry],
  });
  return {
    registry,
    jobSeconds,
    stepSeconds: new Histogram({
      name: 'spring_batch_step_seconds',
      help: 'Batch step duration',
      labelNames: ['name', 'job_name', 'status'] as const,
      buckets: JOB_BUCKETS,
      registers: [registry],
    }),
    chunkSeconds: new Histogram({
      name: 'batch_chunk_seconds',
      help: 'Duration of one committed chunk (read, process, write)',
      labelNames: ['job_name', 'step_name'] as const,
      buckets: CHUNK_BUCKETS,
      registers: [registry],
    }),
    itemsRead: items('batch_items_read_total', 'Items read'),
    itemsWritten: items('batch_items_written_total', 'Items written'),
    itemsSkipped: items('batch_items_skipped_total', 'Items skipped (read, process and write skips)'),
    itemsFiltered: items('batch_items_filtered_total', 'Items filtered out by a processor'),
    activeJobs: new Gauge({ name: 'spring_batch_job_active', help: 'Job executions running in this process', labelNames: ['name'] as const, registers: [registry] }),
    scheduledJobs: new Gauge({ name: 'batch_scheduled_jobs', help: 'Jobs with an active cron schedule in this process', registers: [registry] }),
    successRatio: new Gauge({
      name: 'batch_job_success_ratio',
      help: 'COMPLETED executions over COMPLETED and FAILED ones since the process started (1 before the first)',
      registers: [registry],
      // Derived from spring_batch_job_seconds at scrape time, so the two can never disagree.
      async collect() {
        const counts = (await jobSeconds.get()).values.filter((v) => v.metricName === 'spring_batch_job_seconds_count');
        const total = (status: string) => counts.filter((v) => v.labels.status === status).reduce((sum, v) => sum + v.value, 0);
        const completed = total('COMPLETED');
        const ended = completed + total('FAILED');
        // prom-client writes NaN as `Nan`, which Prometheus rejects; no failure yet reads as 1.
        this.set(ended === 0 ? 1 : completed / ended);
      },
    }),
    eventsDelivered: new Counter({ name: 'batch_events_delivered_total', help: 'Outbox events acknowledged by the broker', registers: [registry] }),
    eventsFailed: new Counter({ name: 'batch_events_failed_total', help: 'Outbox events the broker refused for good (status FAILED)', registers: [registry] }),
    eventSendFailures: new Counter({ name: 'batch_event_send_failures_total', help: 'Deliveries that failed and will be retried (broker down)', registers: [registry] }),
    jobMetricTotal: new Counter({
      name: 'batch_job_metric_total',
      help: 'Job-specific figures (refreshTokensDeleted, alertes3Ans…) summed over the runs this process ended; dry runs excluded',
      labelNames: ['job_name', 'metric'] as const,
      registers: [registry],
    }),
    eventsPending: new Gauge({
      name: 'batch_events_pending',
      help: 'Outbox events waiting for delivery',
      registers: [registry],
      async collect() {
        if (sources.pendingEvents) this.set(await sources.pendingEvents().catch(() => Number.NaN));
      },
    }),
  };
}

/**
 * The registry in the text exposition format, with NaN spelt as Prometheus reads it:
 * prom-client writes `Nan` (a gauge with no value yet, the event-loop lag before its
 * first sample, the outbox count while batchdb is down), and one such line makes
 * Prometheus reject the whole scrape.
 */
export async function prometheusText(registry: Registry): Promise<string> {
  return (await registry.metrics()).replace(/ Nan$/gm, ' NaN');
}
