import type { Logger } from 'pino';
import { skipCount, type BatchListener } from '../engine/types.js';

/** One log line per job start, step end and job end (1.5, 1.7), for every job. */
export function loggingListener(logger: Logger): BatchListener {
  return {
    beforeJob(execution) {
      logger.info(
        { job: execution.jobName, execution: execution.id, parameters: execution.parameters, dryRun: execution.dryRun, trigger: execution.trigger },
        `${execution.jobName} started (execution ${execution.id})`,
      );
    },
    afterStep(execution, step) {
      logger.info(
        { job: execution.jobName, execution: execution.id, step: step.stepName, status: step.status, counts: step.counts },
        `${step.stepName} ${step.status}: read ${step.counts.read}, written ${step.counts.write}, skipped ${skipCount(step.counts)}`,
      );
    },
    afterJob(execution) {
      const duration = execution.endTime && execution.startTime ? execution.endTime.getTime() - execution.startTime.getTime() : null;
      const line = { job: execution.jobName, execution: execution.id, status: execution.status, exitCode: execution.exitCode, durationMs: duration, metrics: execution.metrics };
      const message = `${execution.jobName} ${execution.status} (execution ${execution.id}${duration === null ? '' : `, ${duration} ms`})`;
      if (execution.status === 'FAILED') logger.error({ ...line, error: execution.exitMessage }, message);
      else logger.info(line, message);
    },
  };
}
