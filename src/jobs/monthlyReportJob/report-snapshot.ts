/**
 * The figures of a month as the report published them, kept in batchdb
 * (`report_snapshot`, migration 0014). The sibling data of a month keeps changing after
 * it ends (statuts, deleted SENT notifications, disabled accounts), so the first
 * generation of a month fixes its figures: a re-generation shows them again, and the
 * next month's changes (▲▼) compare with them, unless `recompute=true` asks for new ones.
 * A month that is only needed as the previous one of a report is computed once and
 * kept the same way. A dry run reads snapshots and never writes one.
 */
import type { DatabaseHandle } from '../../db/connect.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { BatchDb } from '../../db/schema/batch-tables.js';
import { parseSqlTimestamp, sqlTimestampMillis } from '../../db/sql-time.js';
import type { DefenseStats } from './defense-stats.js';
import type { EnrollmentStats } from './enrollment-stats.js';
import type { NotificationStats } from './notification-stats.js';
import type { ReportAlerts } from './report-alerts.js';
import type { UserStats } from './user-stats.js';

/**
 * The shape of `MonthFigures`. A snapshot of another version cannot be laid out by this
 * code: it is computed again (and replaced) as if missing. Bump it with every change of
 * the figures' shape or meaning.
 */
export const SNAPSHOT_VERSION = 1;

export interface MonthFigures {
  readonly enrollment: EnrollmentStats;
  readonly defense: DefenseStats;
  readonly notification: NotificationStats;
  readonly user: UserStats;
  readonly alerts: ReportAlerts;
}

export interface ReportSnapshot {
  readonly month: string;
  readonly figures: MonthFigures;
  readonly computedAt: Date;
  readonly reportFile: string | null;
}

/** The snapshots of `months` this version can lay out, by month. */
export async function loadSnapshots(batch: DatabaseHandle<BatchDb>, months: readonly string[]): Promise<Map<string, ReportSnapshot>> {
  const rows = await batch.db.selectFrom('report_snapshot').selectAll().where('month', 'in', months).where('version', '=', SNAPSHOT_VERSION).execute();
  return new Map(
    rows.map((r) => [r.month, { month: r.month, figures: JSON.parse(r.figures) as MonthFigures, computedAt: parseSqlTimestamp(String(r.computed_at)), reportFile: r.report_file }]),
  );
}

export interface SnapshotWrite {
  readonly month: string;
  readonly figures: MonthFigures;
  readonly computedAt: Date;
  readonly jobExecutionId: number;
  /** Set when this month's own report is written. */
  readonly reportFile: string | null;
  /** Replace a stored snapshot (recompute=true); otherwise a stored one is kept as it is. */
  readonly replace: boolean;
}

/**
 * Stores a month's figures. Idempotent: a replayed write stores the same row, and
 * without `replace` a snapshot already there wins (it is what was published).
 */
export async function saveSnapshot(batch: DatabaseHandle<BatchDb>, write: SnapshotWrite): Promise<void> {
  const row = {
    version: SNAPSHOT_VERSION,
    figures: JSON.stringify(write.figures),
    computed_at: sqlTimestampMillis(write.computedAt),
    job_execution_id: write.jobExecutionId,
  };
  try {
    await batch.db.insertInto('report_snapshot').values({ month: write.month, ...row, report_file: write.reportFile }).execute();
    return;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  // Kept unless replaced; one of another version is replaced too (loadSnapshots never returned it).
  const replaced = batch.db.updateTable('report_snapshot').set(row).where('month', '=', write.month);
  await (write.replace ? replaced : replaced.where('version', '<>', SNAPSHOT_VERSION)).execute();
  if (write.reportFile !== null) await batch.db.updateTable('report_snapshot').set({ report_file: write.reportFile }).where('month', '=', write.month).execute();
}
