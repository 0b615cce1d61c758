/**
 * `job_execution_history` (8.10, 1.7): one row per execution, written when it starts
 * and completed when it ends, by one engine listener for every job.
 */
import type { Kysely } from 'kysely';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { sqlTimestampMillis } from '../db/sql-time.js';
import { skipCount, type BatchListener, type JobExecution, type StepExecution } from '../engine/types.js';

export function executionHistoryListener(db: Kysely<BatchDb>): BatchListener {
  return {
    async beforeJob(execution) {
      await db
        .insertInto('job_execution_history')
        .values({
          job_name: execution.jobName,
          execution_id: execution.id,
          status: execution.status,
          trigger_type: execution.trigger,
          triggered_by: execution.triggeredBy,
          start_time: sqlTimestampMillis(execution.startTime ?? execution.createdAt),
          end_time: null,
          duration_ms: null,
          read_count: 0,
          write_count: 0,
          would_write_count: 0,
          skip_count: 0,
          error_message: null,
          metrics: '{}',
        })
        .execute();
    },
    // Written in the transaction that records the end: a crash cannot leave the run ended
    // and its history row still running. A row its start never wrote (a crash right after
    // the launch) is written whole here.
    async recordEnd(tx, execution, steps) {
      const end = historyEnd(execution, steps);
      const result = await tx.updateTable('job_execution_history').set(end).where('execution_id', '=', execution.id).executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) return;
      await tx
        .insertInto('job_execution_history')
        .values({
          job_name: execution.jobName,
          execution_id: execution.id,
          trigger_type: execution.trigger,
          triggered_by: execution.triggeredBy,
          start_time: sqlTimestampMillis(execution.startTime ?? execution.createdAt),
          ...end,
        })
        .execute();
    },
  };
}

/** Counts are the steps' as they ended: cumulative over the instance, since a restarted step carries its checkpointed counts. */
function historyEnd(execution: JobExecution, steps: readonly StepExecution[]) {
  const sum = (pick: (s: StepExecution) => number) => steps.reduce((total, s) => total + pick(s), 0);
  const start = execution.startTime ?? execution.createdAt;
  const end = execution.endTime ?? new Date();
  return {
    status: execution.status,
    end_time: sqlTimestampMillis(end),
    duration_ms: end.getTime() - start.getTime(),
    read_count: sum((s) => s.counts.read),
    write_count: sum((s) => s.counts.write),
    would_write_count: sum((s) => s.counts.wouldWrite),
    skip_count: sum((s) => skipCount(s.counts)),
    error_message: execution.status === 'COMPLETED' ? null : execution.exitMessage,
    metrics: JSON.stringify(execution.metrics),
  };
}
