/**
 * Issue 23, item 4: every write is fenced, and every listener isolated. A skip is recorded
 * only while the run is this process's (checked in the database), a read-ahead neither
 * starts nor retries once the lease is gone and the reader closes only after it, an
 * `afterChunk` listener that throws changes nothing, and the outbox relay marks events
 * only while it still holds its lease.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChunkStep } from '../../src/engine/types.js';
import type { EventSender, OutgoingMessage } from '../../src/events/event-sender.js';
import { countByStatus, enqueue, listEvents } from '../../src/events/outbox.js';
import { OutboxRelay } from '../../src/events/outbox-relay.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { createItems, itemsJob, itemsStep, operatorFor, processedIds } from './harness.js';

const transient = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

describe.each(dialects)('fenced writes and isolated listeners (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  /** Another process takes the execution over, as an abandonment and a restart elsewhere would. */
  const steal = (id: number) => env.databases.batch.db.updateTable('batch_job_execution').set({ owner: 'another-process' }).where('id', '=', id).execute();

  it('an afterChunk listener that throws is logged; the step and the run complete', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 30);
    const operator = operatorFor(env.databases, [
      { ...itemsJob(db, [itemsStep(db, 'itemsStep', 10)]), listeners: [{ afterChunk: () => Promise.reject(new Error('the dashboard is down')) }] },
    ]);
    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    expect([done.status, done.exitCode]).toEqual(['COMPLETED', 'COMPLETED']);
    expect(await processedIds(db)).toHaveLength(30);
  });

  it('a skip after the run was taken over is not recorded: the database refuses it and the run ends LEASE_LOST', async () => {
    env = await createTestEnvironment(dialect);
    const db = await createItems(env.databases, 30);
    let executionId = 0;
    const process = async (id: number) => {
      if (id !== 15) return id;
      await steal(executionId);
      throw new Error('item 15 is malformed');
    };
    const operator = operatorFor(env.databases, [itemsJob(db, [itemsStep(db, 'itemsStep', 10, {}, { processor: process, skip: { limit: 5 } })])], { checkpointIntervalMs: 600_000 });
    const started = await operator.start('itemsJob', { trigger: 'CLI' });
    executionId = started.execution.id;
    const done = await started.done;
    expect([done.status, done.exitCode]).toEqual(['FAILED', 'LEASE_LOST']);
    expect(await operator.repository.skips(executionId)).toEqual([]);
  });

  it('a read-ahead retried after the lease was lost reads nothing more', async () => {
    env = await createTestEnvironment(dialect);
    const events: string[] = [];
    let executionId = 0;
    let reads = 0;
    const step: ChunkStep<number> = {
      kind: 'chunk',
      name: 'aheadStep',
      chunkSize: 10,
      readAhead: true,
      reader: () => ({
        async read() {
          reads++;
          events.push(`read ${reads}`);
          // The read-ahead's first attempt fails on a passing fault, and is retried.
          if (reads === 2) throw transient();
          return reads === 1 ? Array.from({ length: 10 }, (_, i) => i + 1) : [];
        },
        async close() {
          events.push('close');
        },
      }),
      writer: () => ({ write: async (items) => items.length }),
    };
    const operator = operatorFor(env.databases, [{ name: 'aheadJob', description: 'read-ahead', steps: [step] }], {
      retryHooks: {
        // The wait before the read-ahead's retry: meanwhile the run is taken over, and the heartbeat learns it.
        sleep: async () => {
          events.push('retry wait');
          await steal(executionId);
          await sleep(400);
        },
      },
    });
    const started = await operator.start('aheadJob', { trigger: 'CLI' });
    executionId = started.execution.id;
    const done = await started.done;
    expect([done.status, done.exitCode]).toEqual(['FAILED', 'LEASE_LOST']);
    await sleep(600);
    // No third read (the retry) once the lease is gone; close only once the read-ahead has settled.
    expect(events).toEqual(['read 1', 'read 2', 'retry wait', 'close']);
  });

  it('a step that fails while its read-ahead is in flight closes its reader only once that read has ended', async () => {
    env = await createTestEnvironment(dialect);
    const events: string[] = [];
    let reads = 0;
    const step: ChunkStep<number> = {
      kind: 'chunk',
      name: 'aheadStep',
      chunkSize: 10,
      readAhead: true,
      reader: () => ({
        async read() {
          const n = ++reads;
          events.push(`read ${n}`);
          if (n === 1) return Array.from({ length: 10 }, (_, i) => i + 1);
          await sleep(300);
          events.push(`read ${n} ended`);
          return [];
        },
        async close() {
          events.push('close');
        },
      }),
      // Not an item's error, and not transient: the chunk fails at once, the read-ahead still running.
      writer: () => ({ write: () => Promise.reject(Object.assign(new Error('disk full'), { code: 'ENOSPC' })) }),
    };
    const operator = operatorFor(env.databases, [{ name: 'aheadJob', description: 'read-ahead', steps: [step] }]);
    const done = await (await operator.start('aheadJob', { trigger: 'CLI' })).done;
    expect(done.status).toBe('FAILED');
    expect(events).toEqual(['read 1', 'read 2', 'read 2 ended', 'close']);
  });
});

/** A broker stand-in whose first send waits for the test to answer it. */
class HeldSender implements EventSender {
  readonly acknowledged: OutgoingMessage[] = [];
  private release: ((error?: Error) => void) | undefined;
  readonly sending: Promise<void>;
  private sendingStarted!: () => void;
  constructor(private hold: boolean) {
    this.sending = new Promise((resolve) => (this.sendingStarted = resolve));
  }
  async send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.hold) {
      this.hold = false;
      this.sendingStarted();
      const error = await new Promise<Error | undefined>((resolve) => (this.release = resolve));
      if (error) throw error;
    }
    this.acknowledged.push(...messages);
  }
  answer(error?: Error): void {
    this.release?.(error);
  }
  async close(): Promise<void> {}
}

describe.each(dialects)('the outbox relay marks only while it holds its lease (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('a relay whose send outlasted its lease, taken meanwhile by another, marks nothing: the event the other delivered stays DELIVERED', async () => {
    env = await createTestEnvironment(dialect);
    const event = { eventId: '00000000-0000-4000-8000-000000000001', type: 'JOB_FAILURE', jobName: 'j', executionId: 1, failedStep: null, error: 'e', restartCommand: 'batch-service restart 1', occurredAt: '2026-01-01T00:00:00.000Z' } as const;
    await enqueue(env.databases.batch.db, event, { topic: 'notifications', key: 'j', now: new Date() });
    const slow = new HeldSender(true);
    const relayA = new OutboxRelay(env.databases.batch.db, slow, silentLogger, { owner: 'replica-a' });
    const tickA = relayA.tick();
    await slow.sending;
    // A's lease runs out while its send hangs; B takes it and delivers.
    await env.databases.batch.db.updateTable('event_relay_lease').set({ expires_at: '2000-01-01 00:00:00.000' }).execute();
    const relayB = new OutboxRelay(env.databases.batch.db, new HeldSender(false), silentLogger, { owner: 'replica-b' });
    expect(await relayB.tick()).toMatchObject({ delivered: 1 });
    // A's send now fails for good: without the fence it would mark the delivered event FAILED.
    slow.answer(Object.assign(new Error('Message too large'), { name: 'KafkaJSProtocolError', retriable: false }));
    await tickA;
    expect(await countByStatus(env.databases.batch.db)).toEqual({ PENDING: 0, DELIVERED: 1, FAILED: 0 });
    expect((await listEvents(env.databases.batch.db, undefined, 10)).map((e) => e.attempts)).toEqual([1]);
  });

  it('a relay that lost its lease between taking it and sending sends nothing', async () => {
    env = await createTestEnvironment(dialect);
    const event = { eventId: '00000000-0000-4000-8000-000000000003', type: 'JOB_FAILURE', jobName: 'j', executionId: 3, failedStep: null, error: 'e', restartCommand: 'batch-service restart 3', occurredAt: '2026-01-01T00:00:00.000Z' } as const;
    const batch = env.databases.batch.db;
    await enqueue(batch, event, { topic: 'notifications', key: 'j', now: new Date() });
    // Once A has read its batch (a pause, a slow batchdb…), its lease has gone to B.
    const reads = new Set<unknown>();
    const pausedAfterTheBatch = batch.withPlugin({
      transformQuery(args) {
        if (args.node.kind === 'SelectQueryNode' && JSON.stringify(args.node).includes('"event_outbox"')) reads.add(args.queryId);
        return args.node;
      },
      async transformResult(args) {
        if (!reads.has(args.queryId)) return args.result;
        stolen = batch.updateTable('event_relay_lease').set({ owner: 'replica-b' }).execute();
        // MariaDB: another pooled connection, done before A goes on. SQLite: one connection,
        // still held until this returns; queued first, the steal runs before A's next statement.
        if (env.dialect === 'mysql') await stolen;
        return args.result;
      },
    });
    let stolen: Promise<unknown> = Promise.resolve();
    const sender = new HeldSender(false);
    expect(await new OutboxRelay(pausedAfterTheBatch, sender, silentLogger, { owner: 'replica-a' }).tick()).toMatchObject({ delivered: 0 });
    await stolen;
    expect(sender.acknowledged).toEqual([]);
    expect((await listEvents(batch, undefined, 10)).map((e) => [e.status, e.attempts])).toEqual([['PENDING', 0]]);
  });

  it('a relay whose send outlasted its lease does not mark the batch again', async () => {
    env = await createTestEnvironment(dialect);
    const event = { eventId: '00000000-0000-4000-8000-000000000002', type: 'JOB_FAILURE', jobName: 'j', executionId: 2, failedStep: null, error: 'e', restartCommand: 'batch-service restart 2', occurredAt: '2026-01-01T00:00:00.000Z' } as const;
    await enqueue(env.databases.batch.db, event, { topic: 'notifications', key: 'j', now: new Date() });
    const slow = new HeldSender(true);
    const relayA = new OutboxRelay(env.databases.batch.db, slow, silentLogger, { owner: 'replica-a' });
    const tickA = relayA.tick();
    await slow.sending;
    await env.databases.batch.db.updateTable('event_relay_lease').set({ expires_at: '2000-01-01 00:00:00.000' }).execute();
    expect(await new OutboxRelay(env.databases.batch.db, new HeldSender(false), silentLogger, { owner: 'replica-b' }).tick()).toMatchObject({ delivered: 1 });
    slow.answer();
    expect(await tickA).toMatchObject({ delivered: 0 });
    expect((await listEvents(env.databases.batch.db, undefined, 10)).map((e) => [e.status, e.attempts])).toEqual([['DELIVERED', 1]]);
  });
});
