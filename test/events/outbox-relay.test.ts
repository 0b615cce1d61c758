import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaSender, type EventSender, type OutgoingMessage } from '../../src/events/event-sender.js';
import type { JobFailureEvent } from '../../src/events/event-types.js';
import { countByStatus, enqueue, listEvents } from '../../src/events/outbox.js';
import { OutboxRelay } from '../../src/events/outbox-relay.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';

/** A sender standing in for the broker: records what it acknowledged, fails on demand. */
class RecordingSender implements EventSender {
  readonly acknowledged: OutgoingMessage[] = [];
  failures: Error[] = [];
  async send(messages: readonly OutgoingMessage[]): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.acknowledged.push(...messages);
  }
  async close(): Promise<void> {}
}

const event = (n: number): JobFailureEvent => ({
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  type: 'JOB_FAILURE',
  jobName: 'j',
  executionId: n,
  failedStep: null,
  error: 'e',
  restartCommand: `batch-service restart ${n}`,
  occurredAt: '2026-01-01T00:00:00.000Z',
});

describe.each(dialects)('outbox relay (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  const fill = async (count: number) => {
    for (let n = 1; n <= count; n++) await enqueue(env.databases.batch.db, event(n), { topic: 'notifications', key: String(n % 3), now: new Date() });
  };

  it('delivers pending events in outbox order, keyed by addressee, and marks them DELIVERED', async () => {
    env = await createTestEnvironment(dialect);
    await fill(25);
    const sender = new RecordingSender();
    const relay = new OutboxRelay(env.databases.batch.db, sender, silentLogger, { owner: 'a', batchSize: 10 });
    while ((await relay.tick()).delivered > 0);
    expect(sender.acknowledged.map((m) => m.eventId)).toEqual(Array.from({ length: 25 }, (_, i) => event(i + 1).eventId));
    for (const key of ['0', '1', '2']) {
      const ids = sender.acknowledged.filter((m) => m.key === key).map((m) => (JSON.parse(m.value) as JobFailureEvent).executionId);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    expect(await countByStatus(env.databases.batch.db)).toEqual({ PENDING: 0, DELIVERED: 25, FAILED: 0 });
    expect(relay.state().broker).toBe('UP');
  });

  it('keeps events pending while the broker is down and redelivers them later with the same eventId', async () => {
    env = await createTestEnvironment(dialect);
    await fill(3);
    const sender = new RecordingSender();
    sender.failures = [Object.assign(new Error('Connection refused'), { name: 'KafkaJSConnectionError', retriable: true }), new Error('still down')];
    const relay = new OutboxRelay(env.databases.batch.db, sender, silentLogger, { owner: 'a' });
    expect(await relay.tick()).toMatchObject({ delivered: 0, backingOff: true });
    expect(await relay.tick()).toMatchObject({ delivered: 0, backingOff: true });
    expect(relay.state()).toMatchObject({ broker: 'DOWN', lastError: 'still down' });
    const pending = await listEvents(env.databases.batch.db, 'PENDING', 10);
    expect(pending.map((e) => [e.attempts, e.lastError])).toEqual([[2, 'still down'], [2, 'still down'], [2, 'still down']]);
    expect(await relay.tick()).toMatchObject({ delivered: 3 });
    expect(sender.acknowledged.map((m) => m.eventId)).toEqual([1, 2, 3].map((n) => event(n).eventId));
  });

  it('marks FAILED an event the broker refuses for good, after isolating it, and delivers the rest', async () => {
    env = await createTestEnvironment(dialect);
    await fill(3);
    const refused = Object.assign(new Error('Message too large'), { name: 'KafkaJSProtocolError', retriable: false });
    const sender = new RecordingSender();
    sender.failures = [refused, refused];
    const relay = new OutboxRelay(env.databases.batch.db, sender, silentLogger, { owner: 'a' });
    await relay.tick(); // the batch is refused: go one by one
    await relay.tick(); // the first event alone is refused: FAILED
    while ((await relay.tick()).delivered > 0);
    expect(await countByStatus(env.databases.batch.db)).toEqual({ PENDING: 0, DELIVERED: 2, FAILED: 1 });
    expect((await listEvents(env.databases.batch.db, 'FAILED', 10))[0]?.eventId).toBe(event(1).eventId);
  });

  it('lets one relay at a time deliver, across replicas', async () => {
    env = await createTestEnvironment(dialect);
    await fill(4);
    const a = new RecordingSender();
    const b = new RecordingSender();
    const relayA = new OutboxRelay(env.databases.batch.db, a, silentLogger, { owner: 'replica-a', batchSize: 2 });
    const relayB = new OutboxRelay(env.databases.batch.db, b, silentLogger, { owner: 'replica-b', batchSize: 2 });
    await relayA.tick();
    await relayB.tick();
    await relayA.tick();
    expect(a.acknowledged).toHaveLength(4);
    expect(b.acknowledged).toHaveLength(0);
  });

  it('with the real Kafka client and no broker listening, fails fast and leaves the events pending', async () => {
    env = await createTestEnvironment(dialect);
    await fill(2);
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const sender = kafkaSender({ brokers: [`127.0.0.1:${port}`], connectionTimeoutMs: 500, requestTimeoutMs: 1000 }, silentLogger);
    const relay = new OutboxRelay(env.databases.batch.db, sender, silentLogger, { owner: 'a' });
    const result = await relay.tick();
    await relay.stop();
    expect(result.backingOff).toBe(true);
    expect(relay.state().broker).toBe('DOWN');
    expect(relay.state().lastError).toMatch(/connect|ECONNREFUSED/i);
    expect(await countByStatus(env.databases.batch.db)).toEqual({ PENDING: 2, DELIVERED: 0, FAILED: 0 });
  });
});
