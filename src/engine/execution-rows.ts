/**
 * Rows of the job repository's tables as the engine's types: one mapping, shared by the
 * run protocol (job-repository.ts) and the read model the API and CLI list from.
 */
import type { Selectable } from 'kysely';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { parseSqlTimestamp } from '../db/sql-time.js';
import type { BatchStatus, JobExecution, JobExecutionSummary, JobParameters, JsonObject, StepExecution, TriggerType } from './types.js';

export type ExecutionRow = Selectable<BatchDb['batch_job_execution']>;
export type StepRow = Selectable<BatchDb['batch_step_execution']>;

/** The columns of a JobExecutionSummary: lists skip the wide ones (context, metrics). */
export const SUMMARY_COLUMNS = [
  'id', 'job_name', 'status', 'exit_code', 'exit_message', 'parameters', 'dry_run',
  'trigger_type', 'triggered_by', 'restart_of', 'start_time', 'end_time',
] as const;
export type SummaryRow = Pick<ExecutionRow, (typeof SUMMARY_COLUMNS)[number]>;

const optionalDate = (text: string | null) => (text === null ? null : parseSqlTimestamp(text));

export function toSummary(row: SummaryRow): JobExecutionSummary {
  return {
    id: Number(row.id),
    jobName: row.job_name,
    status: row.status as BatchStatus,
    exitCode: row.exit_code,
    exitMessage: row.exit_message,
    parameters: JSON.parse(row.parameters) as JobParameters,
    dryRun: Boolean(Number(row.dry_run)),
    trigger: row.trigger_type as TriggerType,
    triggeredBy: row.triggered_by,
    restartOf: row.restart_of === null ? null : Number(row.restart_of),
    startTime: optionalDate(row.start_time),
    endTime: optionalDate(row.end_time),
  };
}

export function toExecution(row: ExecutionRow): JobExecution {
  return {
    ...toSummary(row),
    instanceId: Number(row.job_instance_id),
    createdAt: parseSqlTimestamp(row.created_at),
    lastUpdated: parseSqlTimestamp(row.last_updated),
    heartbeatAt: parseSqlTimestamp(row.heartbeat_at),
    context: JSON.parse(row.execution_context) as JsonObject,
    metrics: JSON.parse(row.metrics) as JsonObject,
    host: row.host,
  };
}

export function toStepExecution(row: StepRow): StepExecution {
  return {
    id: Number(row.id),
    jobExecutionId: Number(row.job_execution_id),
    stepName: row.step_name,
    status: row.status as BatchStatus,
    exitCode: row.exit_code,
    exitMessage: row.exit_message,
    counts: {
      read: Number(row.read_count),
      write: Number(row.write_count),
      wouldWrite: Number(row.would_write_count),
      filter: Number(row.filter_count),
      readSkip: Number(row.read_skip_count),
      processSkip: Number(row.process_skip_count),
      writeSkip: Number(row.write_skip_count),
      commit: Number(row.commit_count),
      rollback: Number(row.rollback_count),
    },
    estimatedTotal: row.estimated_total === null ? null : Number(row.estimated_total),
    context: JSON.parse(row.execution_context) as JsonObject,
    startTime: parseSqlTimestamp(row.start_time),
    endTime: optionalDate(row.end_time),
  };
}
