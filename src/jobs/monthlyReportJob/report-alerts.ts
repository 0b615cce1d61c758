/**
 * What the report's « Alertes » section lists (3.6), each of the month and nothing of
 * another, from batchdb: the consistency anomalies open at the month's end (first seen
 * before it ended, not resolved before it ended: one still open today was open then
 * too), job executions that failed in the month, and overrun alerts sent in the month.
 * The notifications stuck pending are the month's too (notification-stats.ts).
 */
import type { DatabaseHandle } from '../../db/connect.js';
import type { BatchDb } from '../../db/schema/batch-tables.js';
import { parseSqlTimestamp, sqlTimestampMillis } from '../../db/sql-time.js';
import { anomalyOutcome, type AnomalyOutcome } from '../../vocabulary/words-fr.js';
import type { ReportPeriod } from './report-period.js';

/** Rows listed one by one; the counts cover them all. */
export const LISTED_FAILURES = 10;
export const LISTED_ANOMALIES = 30;

export interface OpenAnomaly {
  readonly type: string;
  readonly entity: string;
  readonly entityId: number;
  readonly action: string;
  /**
   * What the job did about it, as the anomaly report says it (from the details: a
   * correction made earlier is « déjà en place », not « corrigée »). Absent from the
   * snapshots of reports generated before it was recorded: the action's label is shown.
   */
  readonly outcome?: AnomalyOutcome;
  /** ISO instant. */
  readonly firstSeen: string;
}

export interface ReportAlerts {
  readonly failedExecutions: number;
  /** The newest LISTED_FAILURES, for the table. */
  readonly failures: readonly { readonly jobName: string; readonly executionId: number; readonly exitCode: string; readonly message: string }[];
  /** DEPASSEMENT alerts sent in the month (each suspended the doctorant's inscription, 2.6). */
  readonly durationOverruns: number;
  /** Consistency anomalies open at the month's end. */
  readonly openAnomalies: number;
  /** Of those, the ones the job could not correct (INTERVENTION_REQUISE). */
  readonly anomaliesNeedingAPerson: number;
  /** The oldest LISTED_ANOMALIES of them, those needing a person first. */
  readonly anomalies: readonly OpenAnomaly[];
}

export async function reportAlerts(batch: DatabaseHandle<BatchDb>, period: ReportPeriod): Promise<ReportAlerts> {
  const [start, end] = [sqlTimestampMillis(period.start), sqlTimestampMillis(period.end)];
  const failed = batch.db.selectFrom('batch_job_execution').where('status', '=', 'FAILED').where('end_time', '>=', start).where('end_time', '<', end);
  const openAtEnd = batch.db
    .selectFrom('consistency_anomaly')
    .where('first_seen', '<', end)
    .where((eb) => eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>=', end)]));
  const [count, newest, overruns, anomalyCounts, oldest] = await Promise.all([
    failed.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    failed.select(['id', 'job_name', 'exit_code', 'exit_message']).orderBy('id', 'desc').limit(LISTED_FAILURES).execute(),
    batch.db
      .selectFrom('alerte_duree_envoyee')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('type_alerte', '=', 'DEPASSEMENT')
      .where('date_envoi', '>=', start)
      .where('date_envoi', '<', end)
      .executeTakeFirstOrThrow(),
    openAtEnd.select(['action', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('action').execute(),
    openAtEnd
      .select(['type', 'entity', 'entity_id', 'action', 'details', 'first_seen'])
      .orderBy((eb) => eb.case().when('action', '=', 'INTERVENTION_REQUISE').then(0).else(1).end())
      .orderBy('first_seen')
      .orderBy('id')
      .limit(LISTED_ANOMALIES)
      .execute(),
  ]);
  return {
    failedExecutions: Number(count.n),
    failures: newest.map((r) => ({ jobName: r.job_name, executionId: Number(r.id), exitCode: r.exit_code, message: (r.exit_message ?? '').slice(0, 160) })),
    durationOverruns: Number(overruns.n),
    openAnomalies: anomalyCounts.reduce((sum, r) => sum + Number(r.n), 0),
    anomaliesNeedingAPerson: anomalyCounts.filter((r) => r.action === 'INTERVENTION_REQUISE').reduce((sum, r) => sum + Number(r.n), 0),
    anomalies: oldest.map((r) => ({
      type: r.type,
      entity: r.entity,
      entityId: Number(r.entity_id),
      action: r.action,
      outcome: anomalyOutcome({ action: r.action, details: parseDetails(r.details) }),
      firstSeen: parseSqlTimestamp(String(r.first_seen)).toISOString(),
    })),
  };
}

/** Stored details (JSON text); what cannot be read counts as none (the action's label then). */
function parseDetails(text: string | null): unknown {
  try {
    return text === null ? {} : (JSON.parse(text) as unknown);
  } catch {
    return {};
  }
}
