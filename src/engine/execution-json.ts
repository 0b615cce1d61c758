/**
 * Executions as JSON, the one shape the API answers and `batch-service … --json` prints:
 * both import it from here, so neither depends on the other.
 */
import { skipCount, type JobExecution, type JobExecutionSummary, type StepExecution } from './types.js';

/** The fields every listing shows, in the API and on the command line. */
export function executionSummaryJson(execution: JobExecutionSummary) {
  return {
    id: execution.id,
    jobName: execution.jobName,
    status: execution.status,
    exitCode: execution.exitCode,
    exitMessage: execution.exitMessage,
    parameters: Object.fromEntries(Object.entries(execution.parameters).map(([k, p]) => [k, p.value])),
    dryRun: execution.dryRun,
    trigger: execution.trigger,
    triggeredBy: execution.triggeredBy,
    restartOf: execution.restartOf,
    startTime: execution.startTime?.toISOString() ?? null,
    endTime: execution.endTime?.toISOString() ?? null,
    durationMs: durationMs(execution.startTime, execution.endTime),
  };
}

export function executionJson(execution: JobExecution, steps: readonly StepExecution[]) {
  return {
    ...executionSummaryJson(execution),
    metrics: execution.metrics,
    steps: steps.map((s) => ({
      name: s.stepName,
      status: s.status,
      exitCode: s.exitCode,
      exitMessage: s.exitMessage,
      ...s.counts,
      skip: skipCount(s.counts),
      // Against `read`, for a progress bar: the API's detail and the console need no other call.
      estimatedTotal: s.estimatedTotal,
      durationMs: durationMs(s.startTime, s.endTime),
    })),
  };
}

function durationMs(start: Date | null, end: Date | null): number | null {
  return start && end ? end.getTime() - start.getTime() : null;
}
