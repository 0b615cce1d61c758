/**
 * The anomalies dataConsistencyJob keeps in batchdb (`consistency_anomaly`, migration
 * 0011). A check reports what it sees; the store turns that into history:
 *   - not open yet → a new row, and its notification enqueued in the same transaction
 *     (admins hear of an anomaly once, when it appears, never every night);
 *   - open already → `last_seen` moves to this run's `runAt`;
 *   - open but not seen by a completed check of this run → resolved.
 * Instants are the run's `runAt`, so a restarted run recognises its own earlier writes.
 */
import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation } from '../db/errors.js';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { parseSqlTimestamp, sqlTimestampMillis } from '../db/sql-time.js';
import type { JsonObject } from '../engine/types.js';
import type { PublishedEvent } from '../events/event-types.js';
import { enqueueAll, type EnqueueOptions } from '../events/outbox.js';
import type { AnomalyActionCode, AnomalyStatusCode, AnomalyTypeCode } from '../vocabulary/codes.js';

export { ANOMALY_TYPES, ANOMALY_ACTIONS } from '../vocabulary/codes.js';
export type AnomalyType = AnomalyTypeCode;
/**
 * `AUTO_CORRIGÉE`: the job's safe correction is in place (made this night or an earlier
 * one: the entity bears it). `INTERVENTION_REQUISE`: the job changed nothing, a person must
 * act (a file to restore, a row the job must not touch: already suspended for another
 * reason, rejected, archived). Never « corrigée » when nothing was changed.
 */
export type AnomalyAction = AnomalyActionCode;
export type AnomalyStatus = AnomalyStatusCode;

/** What a check saw. `entity` names what the id is of (`inscription`, `soutenance`, `document`, `soutenance_document`, `doctorant`). */
export interface Anomaly {
  readonly type: AnomalyType;
  readonly entity: string;
  readonly entityId: number;
  readonly details: JsonObject;
  readonly action: AnomalyAction;
}

export interface AnomalyRecord extends Anomaly {
  readonly id: number;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  readonly resolvedAt: Date | null;
  readonly jobExecutionId: number | null;
}

const openKey = (a: Pick<Anomaly, 'type' | 'entity' | 'entityId'>) => `${a.type}:${a.entity}:${a.entityId}`;

export interface ObserveOptions {
  readonly runAt: Date;
  readonly jobExecutionId: number;
  /** The notifications of the anomalies new to the store, enqueued with their rows. */
  readonly eventsFor?: (fresh: readonly Anomaly[]) => readonly { event: PublishedEvent; options: EnqueueOptions }[];
}

/**
 * Records one page of what a check saw; returns the anomalies that were not open before
 * (the new ones). One transaction: the rows and their notifications commit together.
 */
export async function observeAnomalies(db: Kysely<BatchDb>, seen: readonly Anomaly[], options: ObserveOptions): Promise<Anomaly[]> {
  if (seen.length === 0) return [];
  const at = sqlTimestampMillis(options.runAt);
  const attempt = () =>
    db.transaction().execute(async (trx) => {
      const keys = seen.map(openKey);
      const open = new Set((await trx.selectFrom('consistency_anomaly').select('open_key').where('open_key', 'in', keys).execute()).map((r) => r.open_key));
      const fresh = seen.filter((a) => !open.has(openKey(a)));
      const known = seen.filter((a) => open.has(openKey(a)));
      if (known.length > 0) {
        // The details and action of tonight: what the report and the API show.
        for (const a of known) {
          await trx.updateTable('consistency_anomaly').set({ last_seen: at, details: JSON.stringify(a.details), action: a.action }).where('open_key', '=', openKey(a)).execute();
        }
      }
      if (fresh.length > 0) {
        await trx
          .insertInto('consistency_anomaly')
          .values(
            fresh.map((a) => ({
              type: a.type,
              entity: a.entity,
              entity_id: a.entityId,
              details: JSON.stringify(a.details),
              action: a.action,
              first_seen: at,
              last_seen: at,
              resolved_at: null,
              open_key: openKey(a),
              job_execution_id: options.jobExecutionId,
            })),
          )
          .execute();
        await enqueueAll(trx, options.eventsFor?.(fresh) ?? []);
      }
      return fresh;
    });
  try {
    return await attempt();
  } catch (error) {
    // Only another run that lost its lease could have opened one meanwhile: read again.
    if (!isUniqueViolation(error)) throw error;
    return attempt();
  }
}

/**
 * How many of `seen` are not open yet: what `observeAnomalies` would record as new. Read
 * only, for a dry run, so it announces the new anomalies the real run then records.
 */
export async function countUnopened(db: Kysely<BatchDb>, seen: readonly Anomaly[]): Promise<number> {
  if (seen.length === 0) return 0;
  const keys = seen.map(openKey);
  const open = new Set((await db.selectFrom('consistency_anomaly').select('open_key').where('open_key', 'in', keys).execute()).map((r) => r.open_key));
  return keys.filter((k) => !open.has(k)).length;
}

/** Open anomalies of `types` that this run's completed check did not see: resolved now. */
export async function resolveUnseen(db: Kysely<BatchDb>, types: readonly AnomalyType[], runAt: Date): Promise<number> {
  const at = sqlTimestampMillis(runAt);
  const result = await db
    .updateTable('consistency_anomaly')
    .set({ resolved_at: at, open_key: null })
    .where('type', 'in', types)
    .where('open_key', 'is not', null)
    .where('last_seen', '<>', at)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface AnomalyQuery {
  readonly status?: AnomalyStatus;
  readonly type?: AnomalyType;
  readonly page: number;
  readonly size: number;
}

/** Newest first (by last seen, then id). */
export async function listAnomalies(db: Kysely<BatchDb>, query: AnomalyQuery): Promise<{ total: number; items: AnomalyRecord[] }> {
  let base = db.selectFrom('consistency_anomaly');
  if (query.status === 'open') base = base.where('open_key', 'is not', null);
  if (query.status === 'resolved') base = base.where('open_key', 'is', null);
  if (query.type) base = base.where('type', '=', query.type);
  const [rows, total] = await Promise.all([
    base.selectAll().orderBy('last_seen', 'desc').orderBy('id', 'desc').limit(query.size).offset(query.page * query.size).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { total: Number(total.n), items: rows.map(toRecord) };
}

/** What one run saw (its `runAt`), for its metrics and its report: durable, exact after restarts. */
export async function anomaliesSeenAt(db: Kysely<BatchDb>, runAt: Date): Promise<AnomalyRecord[]> {
  const rows = await db.selectFrom('consistency_anomaly').selectAll().where('last_seen', '=', sqlTimestampMillis(runAt)).orderBy('type').orderBy('entity').orderBy('entity_id').execute();
  return rows.map(toRecord);
}

function toRecord(row: Selectable<BatchDb['consistency_anomaly']>): AnomalyRecord {
  return {
    id: Number(row.id),
    type: row.type as AnomalyType,
    entity: row.entity,
    entityId: Number(row.entity_id),
    details: JSON.parse(row.details) as JsonObject,
    action: row.action as AnomalyAction,
    firstSeen: parseSqlTimestamp(row.first_seen),
    lastSeen: parseSqlTimestamp(row.last_seen),
    resolvedAt: row.resolved_at === null ? null : parseSqlTimestamp(row.resolved_at),
    jobExecutionId: row.job_execution_id === null ? null : Number(row.job_execution_id),
  };
}
