/**
 * Writing and reading the outbox (`event_outbox`). `enqueue` takes the caller's
 * transaction: the event commits or rolls back with the fact it announces.
 */
import type { Kysely, Transaction } from 'kysely';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { parseSqlTimestamp, sqlTimestampMillis } from '../db/sql-time.js';
import type { PublishedEvent } from './event-types.js';

export type OutboxStatus = 'PENDING' | 'DELIVERED' | 'FAILED';
export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['PENDING', 'DELIVERED', 'FAILED'];

export interface OutboxRecord {
  readonly id: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly topic: string;
  /** Kafka message key: the addressee's user id, so one person's events stay ordered. */
  readonly key: string;
  readonly payload: string;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly deliveredAt: Date | null;
}

export interface EnqueueOptions {
  readonly topic: string;
  readonly key: string;
  readonly now: Date;
}

export function enqueue(trx: Kysely<BatchDb> | Transaction<BatchDb>, event: PublishedEvent, options: EnqueueOptions): Promise<void> {
  return enqueueAll(trx, [{ event, options }]);
}

/** Several events in one INSERT, in the given order (the relay delivers by id). */
export async function enqueueAll(
  trx: Kysely<BatchDb> | Transaction<BatchDb>,
  events: readonly { event: PublishedEvent; options: EnqueueOptions }[],
): Promise<void> {
  if (events.length === 0) return;
  await trx
    .insertInto('event_outbox')
    .values(
      events.map(({ event, options }) => ({
        event_id: event.eventId,
        event_type: event.type,
        topic: options.topic,
        message_key: options.key,
        payload: JSON.stringify(event),
        status: 'PENDING',
        attempts: 0,
        last_error: null,
        created_at: sqlTimestampMillis(options.now),
        delivered_at: null,
      })),
    )
    .execute();
}

export async function listEvents(db: Kysely<BatchDb>, status: OutboxStatus | undefined, limit: number): Promise<readonly OutboxRecord[]> {
  let query = db.selectFrom('event_outbox').selectAll().orderBy('id').limit(limit);
  if (status) query = query.where('status', '=', status);
  return (await query.execute()).map((row) => ({
    id: Number(row.id),
    eventId: row.event_id,
    eventType: row.event_type,
    topic: row.topic,
    key: row.message_key,
    payload: row.payload,
    status: row.status as OutboxStatus,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    createdAt: parseSqlTimestamp(row.created_at),
    deliveredAt: row.delivered_at === null ? null : parseSqlTimestamp(row.delivered_at),
  }));
}

export async function countByStatus(db: Kysely<BatchDb>): Promise<Record<OutboxStatus, number>> {
  const rows = await db
    .selectFrom('event_outbox')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const counts: Record<OutboxStatus, number> = { PENDING: 0, DELIVERED: 0, FAILED: 0 };
  for (const row of rows) counts[row.status as OutboxStatus] = Number(row.n);
  return counts;
}
