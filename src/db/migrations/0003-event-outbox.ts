/**
 * The transactional outbox: events written in the same batchdb transaction as the fact
 * they announce, delivered to Kafka later by the relay (src/events/outbox-relay.ts).
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('event_outbox')
    .addColumn('id', t.id, t.autoId)
    .addColumn('event_id', t.varchar(36), (c) => c.notNull().unique())
    .addColumn('event_type', t.varchar(50), (c) => c.notNull())
    .addColumn('topic', t.varchar(249), (c) => c.notNull())
    .addColumn('message_key', t.varchar(255), (c) => c.notNull())
    .addColumn('payload', t.text, (c) => c.notNull())
    .addColumn('status', t.varchar(20), (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', t.text)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('delivered_at', t.timestamp)
    .execute();
  await db.schema.createIndex('ix_event_outbox_status').on('event_outbox').columns(['status', 'id']).execute();

  // One relay at a time across replicas keeps delivery in outbox order.
  await db.schema
    .createTable('event_relay_lease')
    .addColumn('name', t.varchar(50), (c) => c.primaryKey())
    .addColumn('owner', t.varchar(255), (c) => c.notNull())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .execute();
}
