/**
 * What the report's « Alertes » section lists (3.6): job executions that failed in the
 * month (batchdb) and duration overruns alerted in the month. The consistency job's
 * anomalies join them once its table exists.
 */
import type { DatabaseHandle } from '../../db/connect.js';
import type { BatchDb } from '../../db/schema/batch-tables.js';
import { sqlTimestampMillis } from '../../db/sql-time.js';
import type { ReportPeriod } from './report-period.js';

export interface ReportAlerts {
  readonly failedExecutions: number;
  /** The newest ten, for the table. */
  readonly failures: readonly { readonly jobName: string; readonly executionId: number; readonly exitCode: string; readonly message: string }[];
  readonly durationOverruns: number;
}

export async function reportAlerts(batch: DatabaseHandle<BatchDb>, period: ReportPeriod): Promise<ReportAlerts> {
  const [start, end] = [sqlTimestampMillis(period.start), sqlTimestampMillis(period.end)];
  const failed = batch.db.selectFrom('batch_job_execution').where('status', '=', 'FAILED').where('end_time', '>=', start).where('end_time', '<', end);
  const [count, newest, overruns] = await Promise.all([
    failed.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    failed.select(['id', 'job_name', 'exit_code', 'exit_message']).orderBy('id', 'desc').limit(10).execute(),
    batch.db
      .selectFrom('alerte_duree_envoyee')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('type_alerte', '=', 'DEPASSEMENT')
      .where('date_envoi', '>=', start)
      .where('date_envoi', '<', end)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    failedExecutions: Number(count.n),
    failures: newest.map((r) => ({ jobName: r.job_name, executionId: Number(r.id), exitCode: r.exit_code, message: (r.exit_message ?? '').slice(0, 160) })),
    durationOverruns: Number(overruns.n),
  };
}
