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
}

/** Counts the outbox's pending events at scrape time; set by the app that owns batchdb. */
let pendingEventsSource: (() => Promise<number>) | undefined;

export function countPendingEventsWith(source: () => Promise<number>): void {
  pendingEventsSource = source;
}

function createBatchMetrics(): BatchMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
    eventsPending: new Gauge({
      name: 'batch_events_pending',
      help: 'Outbox events waiting for delivery',
      registers: [registry],
      async collect() {
        if (pendingEventsSource) this.set(await pendingEventsSource().catch(() => Number.NaN));
      },
    }),
  };
}

/**
 * The process's one metrics registry, a deliberate singleton: Prometheus scrapes a process,
 * metric names must be unique in a registry, and every app built in one process (tests
 * build several) reports into the same series.
 */
export const BATCH_METRICS: BatchMetrics = createBatchMetrics();
