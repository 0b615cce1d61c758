/**
 * Anomalies as JSON, the one shape `GET /api/batch/anomalies` answers and
 * `batch-service anomalies --json` prints, as engine/execution-json.ts is for executions.
 */
import type { AnomalyRecord, AnomalyStatus } from './anomaly-store.js';

/** The store tells them apart by `open_key`; clients by this word. */
export const ANOMALY_STATUSES = ['open', 'resolved'] as const satisfies readonly AnomalyStatus[];

export function anomalyJson(record: AnomalyRecord) {
  return {
    id: record.id,
    type: record.type,
    entity: record.entity,
    entityId: record.entityId,
    details: record.details,
    action: record.action,
    firstSeen: record.firstSeen.toISOString(),
    lastSeen: record.lastSeen.toISOString(),
    resolvedAt: record.resolvedAt?.toISOString() ?? null,
    status: (record.resolvedAt === null ? 'open' : 'resolved') as AnomalyStatus,
    jobExecutionId: record.jobExecutionId,
  };
}
