/**
 * The `eventBroker` health component (8.5): the outbox's pending and failed counts, and
 * the broker as the relay last found it. Without KAFKA_BROKERS the service works in
 * outbox mode and is UP; a relay whose last send failed is DOWN (events wait, nothing
 * is lost).
 */
import type { Kysely } from 'kysely';
import type { BatchDb } from '../db/schema/batch-tables.js';
import type { HealthIndicator } from '../observability/health.js';
import { tcpReachable } from '../observability/tcp-probe.js';
import { countByStatus } from './outbox.js';
import type { OutboxRelay } from './outbox-relay.js';

export function eventBrokerIndicator(
  config: { kafka: { brokers: readonly string[]; topic: string } },
  db: Kysely<BatchDb>,
  relay: OutboxRelay | undefined,
  timeoutMs: number,
): HealthIndicator {
  return {
    name: 'eventBroker',
    async check() {
      const counts = await countByStatus(db);
      const outbox = { pending: counts.PENDING, delivered: counts.DELIVERED, failed: counts.FAILED };
      if (!relay) return { status: 'UP', details: { mode: 'outbox only (KAFKA_BROKERS not set)', ...outbox } };
      const state = relay.state();
      // Before the relay's first attempt, ask the network whether a broker listens.
      const reachable = state.broker === 'UNKNOWN' ? await anyReachable(config.kafka.brokers, timeoutMs) : null;
      return {
        status: state.broker === 'DOWN' || reachable?.ok === false ? 'DOWN' : 'UP',
        details: {
          mode: 'kafka',
          brokers: config.kafka.brokers,
          topic: config.kafka.topic,
          broker: state.broker,
          lastError: state.lastError ?? reachable?.error ?? null,
          lastDeliveryAt: state.lastDeliveryAt?.toISOString() ?? null,
          ...outbox,
        },
      };
    },
  };
}

async function anyReachable(brokers: readonly string[], timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  const errors: string[] = [];
  for (const broker of brokers) {
    const [host = broker, port = '9092'] = broker.split(':');
    try {
      await tcpReachable(host, Number(port), timeoutMs);
      return { ok: true };
    } catch (error) {
      errors.push(`${broker}: ${(error as Error).message}`);
    }
  }
  return { ok: false, error: errors.join('; ') };
}
