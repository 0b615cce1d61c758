/**
 * Delivers the outbox to the broker, oldest first, marking each event DELIVERED once
 * acknowledged. While the broker is down it backs off exponentially and leaves the
 * events PENDING; the jobs never wait for it. One relay runs at a time across replicas
 * (a lease row in batchdb), so the outbox order is the delivery order.
 *
 * At least once: a crash between the broker's acknowledgement and the DELIVERED mark
 * sends the event again, with the same eventId for consumers to drop.
 */
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isUniqueViolation } from '../db/errors.js';
import type { BatchDb } from '../db/schema/batch-tables.js';
import { sqlTimestampMillis } from '../db/sql-time.js';
import { backoffDelay } from '../engine/retry.js';
import type { BatchMetrics } from '../observability/metrics.js';
import { isPermanentSendError, type EventSender } from './event-sender.js';

export interface RelayOptions {
  readonly batchSize?: number;
  readonly idleDelayMs?: number;
  readonly baseRetryMs?: number;
  readonly maxRetryMs?: number;
  readonly leaseMs?: number;
  readonly owner: string;
  readonly clock?: () => Date;
  /** The app's counters of deliveries and failures; none counted without them. */
  readonly metrics?: Pick<BatchMetrics, 'eventsDelivered' | 'eventsFailed' | 'eventSendFailures'>;
}

export interface RelayState {
  /** UP after a delivery, DOWN after a failed send, UNKNOWN before any attempt. */
  readonly broker: 'UP' | 'DOWN' | 'UNKNOWN';
  readonly lastError: string | null;
  readonly lastDeliveryAt: Date | null;
  readonly delivered: number;
  readonly failedAttempts: number;
}

export interface TickResult {
  readonly delivered: number;
  readonly failed: number;
  /** True when the broker refused or was unreachable: the next tick should wait. */
  readonly backingOff: boolean;
}

export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = true;
  private consecutiveFailures = 0;
  /** After a batch the broker refused outright, send one by one to find the bad event. */
  private oneByOne = false;
  private current: RelayState = { broker: 'UNKNOWN', lastError: null, lastDeliveryAt: null, delivered: 0, failedAttempts: 0 };
  private readonly clock: () => Date;

  constructor(
    private readonly db: Kysely<BatchDb>,
    private readonly sender: EventSender,
    private readonly logger: Logger,
    private readonly options: RelayOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  state(): RelayState {
    return this.current;
  }

  /** Starts the background loop. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.sender.close().catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick()
        .then((result) => {
          const delay = result.backingOff
            ? backoffDelay(this.consecutiveFailures, {
                attempts: Infinity,
                baseDelayMs: this.options.baseRetryMs ?? 1_000,
                maxDelayMs: this.options.maxRetryMs ?? 300_000,
                retryable: () => true,
              })
            : result.delivered > 0
              ? 0
              : (this.options.idleDelayMs ?? 1_000);
          this.schedule(delay);
        })
        .catch((error: unknown) => {
          this.logger.error({ err: error }, 'outbox relay failed; retrying');
          this.schedule(this.options.idleDelayMs ?? 1_000);
        });
    }, delayMs);
  }

  /** One delivery round: at most one batch. Exposed for tests and the CLI. */
  async tick(): Promise<TickResult> {
    if (this.running) return { delivered: 0, failed: 0, backingOff: false };
    this.running = true;
    try {
      if (!(await this.acquireLease())) return { delivered: 0, failed: 0, backingOff: false };
      const batch = await this.db
        .selectFrom('event_outbox')
        .selectAll()
        .where('status', '=', 'PENDING')
        .orderBy('id')
        .limit(this.oneByOne ? 1 : (this.options.batchSize ?? 100))
        .execute();
      if (batch.length === 0) return { delivered: 0, failed: 0, backingOff: false };
      const messages = batch.map((row) => ({
        topic: row.topic,
        key: row.message_key,
        value: row.payload,
        eventId: row.event_id,
        eventType: row.event_type,
      }));
      // Renewed right before the send: a relay that lost the lease meanwhile (paused, slow
      // batchdb) sends nothing, and the lease now runs for a whole send's worth of time.
      if (!(await this.renewLease())) return this.leaseLost();
      try {
        await this.sender.send(messages);
      } catch (error) {
        return await this.recordFailure(batch, error);
      }
      const now = sqlTimestampMillis(this.clock());
      const marked = await this.db
        .updateTable('event_outbox')
        .set({ status: 'DELIVERED', delivered_at: now, attempts: (eb) => eb('attempts', '+', 1), last_error: null })
        .where('id', 'in', batch.map((row) => row.id))
        .where((eb) => this.holdsLease(eb))
        .executeTakeFirst();
      if (Number(marked.numUpdatedRows) === 0) return this.leaseLost();
      this.consecutiveFailures = 0;
      this.oneByOne = false;
      this.options.metrics?.eventsDelivered.inc(batch.length);
      this.current = { ...this.current, broker: 'UP', lastError: null, lastDeliveryAt: this.clock(), delivered: this.current.delivered + batch.length };
      return { delivered: batch.length, failed: 0, backingOff: false };
    } finally {
      this.running = false;
    }
  }

  private async recordFailure(batch: readonly { id: number }[], error: unknown): Promise<TickResult> {
    const message = error instanceof Error ? error.message : String(error);
    this.current = { ...this.current, broker: 'DOWN', lastError: message, failedAttempts: this.current.failedAttempts + 1 };
    // A message the broker will always refuse would block every later one: mark only
    // the head of the queue FAILED (kept for `batch-service events --status failed`).
    if (isPermanentSendError(error)) {
      const head = batch[0]!;
      const marked = await this.db
        .updateTable('event_outbox')
        .set({ status: batch.length === 1 ? 'FAILED' : 'PENDING', last_error: message, attempts: (eb) => eb('attempts', '+', 1) })
        .where('id', '=', head.id)
        .where((eb) => this.holdsLease(eb))
        .executeTakeFirst();
      if (Number(marked.numUpdatedRows) === 0) return this.leaseLost();
      this.logger.error({ err: error }, batch.length === 1 ? 'event refused by the broker; marked FAILED' : 'batch refused; retrying one by one');
      if (batch.length === 1) this.options.metrics?.eventsFailed.inc();
      this.oneByOne = batch.length > 1;
      return { delivered: 0, failed: batch.length === 1 ? 1 : 0, backingOff: false };
    }
    this.consecutiveFailures++;
    this.options.metrics?.eventSendFailures.inc();
    await this.db
      .updateTable('event_outbox')
      .set({ last_error: message, attempts: (eb) => eb('attempts', '+', 1) })
      .where('id', 'in', batch.map((row) => row.id))
      .where((eb) => this.holdsLease(eb))
      .execute();
    this.logger.warn({ err: error, pending: batch.length, failures: this.consecutiveFailures }, 'event broker unreachable; events stay pending');
    return { delivered: 0, failed: 0, backingOff: true };
  }

  /**
   * Part of every mark's WHERE: the lease is still this relay's. Another relay takes it
   * only once it has expired, and from then on this one's marks update nothing (a
   * delivered event is never marked FAILED, nor counted twice, by a relay that lost it).
   */
  private holdsLease(eb: ExpressionBuilder<BatchDb, 'event_outbox'>) {
    return eb.exists(eb.selectFrom('event_relay_lease').select('name').where('name', '=', 'outbox').where('owner', '=', this.options.owner));
  }

  /** Extends the lease while this relay still holds it; false once another took it. */
  private async renewLease(): Promise<boolean> {
    const expires = sqlTimestampMillis(new Date(this.clock().getTime() + (this.options.leaseMs ?? 30_000)));
    const renewed = await this.db
      .updateTable('event_relay_lease')
      .set({ expires_at: expires })
      .where('name', '=', 'outbox')
      .where('owner', '=', this.options.owner)
      .executeTakeFirst();
    return Number(renewed.numUpdatedRows) > 0;
  }

  private leaseLost(): TickResult {
    this.logger.warn({ owner: this.options.owner }, 'outbox relay lease taken by another replica; this one sends and marks nothing more until it holds it again');
    return { delivered: 0, failed: 0, backingOff: false };
  }

  /** Takes or renews the relay lease; false when another replica holds it. */
  private async acquireLease(): Promise<boolean> {
    const now = this.clock();
    const expires = sqlTimestampMillis(new Date(now.getTime() + (this.options.leaseMs ?? 30_000)));
    const renewed = await this.db
      .updateTable('event_relay_lease')
      .set({ owner: this.options.owner, expires_at: expires })
      .where('name', '=', 'outbox')
      .where((eb) => eb.or([eb('owner', '=', this.options.owner), eb('expires_at', '<', sqlTimestampMillis(now))]))
      .executeTakeFirst();
    if (Number(renewed.numUpdatedRows) > 0) return true;
    try {
      await this.db.insertInto('event_relay_lease').values({ name: 'outbox', owner: this.options.owner, expires_at: expires }).execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}
