/**
 * Feeds the Prometheus metrics from the engine's hooks, for every job (8.1–8.3). Item
 * counters advance after each chunk, so a long run shows progress between scrapes.
 * A dry run feeds nothing but the active-jobs gauge while it runs: its items, durations
 * and figures are what the job would have done, and no series mixes them with real ones.
 */
import { skipCount, type BatchListener, type StepCounts } from '../engine/types.js';
import type { BatchMetrics } from './metrics.js';

const seconds = (start: Date | null, end: Date | null) => (start && end ? Math.max(0, end.getTime() - start.getTime()) / 1000 : 0);

export function metricsListener(metrics: BatchMetrics): BatchListener {
  // A restarted step starts from its checkpointed counts: only what this run adds is counted.
  const lastCounts = new Map<number, StepCounts>();
  const activeHere = new Set<number>();

  const advance = (jobName: string, stepId: number, stepName: string, counts: StepCounts) => {
    const before = lastCounts.get(stepId);
    if (!before) return;
    const labels = { job_name: jobName, step_name: stepName };
    metrics.itemsRead.inc(labels, Math.max(0, counts.read - before.read));
    metrics.itemsWritten.inc(labels, Math.max(0, counts.write - before.write));
    metrics.itemsFiltered.inc(labels, Math.max(0, counts.filter - before.filter));
    metrics.itemsSkipped.inc(labels, Math.max(0, skipCount(counts) - skipCount(before)));
    lastCounts.set(stepId, counts);
  };

  return {
    beforeJob(execution) {
      activeHere.add(execution.id);
      metrics.activeJobs.inc({ name: execution.jobName });
    },
    beforeStep(execution, step) {
      if (!execution.dryRun) lastCounts.set(step.id, step.counts);
    },
    afterChunk(execution, step, chunk) {
      if (execution.dryRun) return;
      metrics.chunkSeconds.observe({ job_name: execution.jobName, step_name: step.stepName }, chunk.durationMs / 1000);
      advance(execution.jobName, step.id, step.stepName, step.counts);
    },
    afterStep(execution, step) {
      if (execution.dryRun) return;
      advance(execution.jobName, step.id, step.stepName, step.counts);
      lastCounts.delete(step.id);
      metrics.stepSeconds.observe({ name: step.stepName, job_name: execution.jobName, status: step.status }, seconds(step.startTime, step.endTime));
    },
    afterJob(execution) {
      // An execution abandoned by a dead process ends here without having started here.
      if (activeHere.delete(execution.id)) metrics.activeJobs.dec({ name: execution.jobName });
      if (execution.dryRun) return;
      metrics.jobSeconds.observe({ name: execution.jobName, status: execution.status }, seconds(execution.startTime ?? execution.createdAt, execution.endTime));
      for (const [metric, value] of Object.entries(execution.metrics)) {
        if (typeof value === 'number' && Number.isFinite(value) && value >= 0) metrics.jobMetricTotal.inc({ job_name: execution.jobName, metric }, value);
      }
    },
  };
}
