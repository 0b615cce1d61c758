/**
 * Rows of `consistency_anomaly` written directly, as dataConsistencyJob would have left
 * them: the API and the CLI are tested on the table, not on the job.
 */
import type { Kysely } from 'kysely';
import type { BatchDb } from '../../src/db/schema/batch-tables.js';
import { sqlTimestampMillis } from '../../src/db/sql-time.js';

export interface PlantedAnomalies {
  /** Ids of the rows, in the order the API lists them all: last seen desc, then id desc. */
  readonly newestFirst: readonly number[];
  readonly open: readonly number[];
  readonly resolved: readonly number[];
  readonly fichierManquant: readonly number[];
  readonly utilisateurInexistantOpen: number;
}

const at = (iso: string) => sqlTimestampMillis(new Date(iso));

/**
 * Two types, open and resolved, and two rows last seen at the same instant so the id
 * breaks the tie.
 */
export async function plantAnomalies(db: Kysely<BatchDb>): Promise<PlantedAnomalies> {
  const insert = async (row: { type: string; entity: string; entityId: number; action: string; firstSeen: string; lastSeen: string; resolvedAt: string | null; jobExecutionId: number | null }) => {
    const result = await db
      .insertInto('consistency_anomaly')
      .values({
        type: row.type,
        entity: row.entity,
        entity_id: row.entityId,
        details: JSON.stringify({ entityId: row.entityId, note: 'é' }),
        action: row.action,
        first_seen: at(row.firstSeen),
        last_seen: at(row.lastSeen),
        resolved_at: row.resolvedAt === null ? null : at(row.resolvedAt),
        open_key: row.resolvedAt === null ? `${row.type}:${row.entity}:${row.entityId}` : null,
        job_execution_id: row.jobExecutionId,
      })
      .executeTakeFirstOrThrow();
    return Number(result.insertId);
  };
  const userOpen = await insert({ type: 'UTILISATEUR_INEXISTANT', entity: 'inscription', entityId: 11, action: 'AUTO_CORRIGÉE', firstSeen: '2026-11-01T23:00:00Z', lastSeen: '2026-11-03T23:00:00Z', resolvedAt: null, jobExecutionId: 1 });
  const userResolved = await insert({ type: 'UTILISATEUR_INEXISTANT', entity: 'inscription', entityId: 12, action: 'AUTO_CORRIGÉE', firstSeen: '2026-11-01T23:00:00Z', lastSeen: '2026-11-02T23:00:00Z', resolvedAt: '2026-11-03T23:00:00Z', jobExecutionId: 1 });
  const fileOpen = await insert({ type: 'FICHIER_MANQUANT', entity: 'document', entityId: 7, action: 'INTERVENTION_REQUISE', firstSeen: '2026-11-02T23:00:00Z', lastSeen: '2026-11-03T23:00:00Z', resolvedAt: null, jobExecutionId: null });
  const fileResolved = await insert({ type: 'FICHIER_MANQUANT', entity: 'document', entityId: 8, action: 'INTERVENTION_REQUISE', firstSeen: '2026-11-01T23:00:00.250Z', lastSeen: '2026-11-01T23:00:00.250Z', resolvedAt: '2026-11-02T23:00:00Z', jobExecutionId: 2 });
  return {
    newestFirst: [fileOpen, userOpen, userResolved, fileResolved],
    open: [fileOpen, userOpen],
    resolved: [userResolved, fileResolved],
    fichierManquant: [fileOpen, fileResolved],
    utilisateurInexistantOpen: userOpen,
  };
}
