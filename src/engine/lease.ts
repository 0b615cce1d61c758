/**
 * A running execution's lease, as this process sees it (docs/engine.md, "Fencing").
 *
 * Another process abandons an execution whose heartbeat is older than the heartbeat
 * timeout, both instants read on the database's clock. The heartbeat's timestamp is the
 * database's clock when it ran the UPDATE, which is after this process sent it. So the
 * lease runs from the moment the confirmed heartbeat was *sent*, on this process's
 * monotonic clock, for the timeout minus a margin (`leaseMargin`): however long the
 * answer took to come back, the lease ends before anyone may abandon the run. A paused
 * process (SIGSTOP, a frozen container, a long synchronous statement) finds it expired
 * the moment it runs again, before its next write. The repository's owner check catches
 * what the clock cannot (the run taken over while this process was not looking); either
 * way the lease is lost for good and the run's signal is aborted.
 *
 * @example
 * const lease = new Lease({ id: 12, owner }, 40_000, (lost) => abort.abort(lost), launchSentAt);
 * lease.check();       // before each write: throws LeaseLostError once expired
 * const sentAt = performance.now();
 * await repository.heartbeat(lease.execution);
 * lease.confirm(sentAt); // the lease now runs until sentAt + 40 s
 */
import { LeaseLostError } from './errors.js';
import type { ExecutionLease } from './lease-fence.js';

export interface LeaseTiming {
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  /** The longest a statement may run or wait (DB_STATEMENT_TIMEOUT_MS). */
  readonly statementTimeoutMs: number;
  /** The longest a query waits for a pooled connection before it is sent (DB_POOL_WAIT_TIMEOUT_MS). */
  readonly poolWaitTimeoutMs?: number;
}

/** The longest a query may take from the moment it is asked for: a wait for a connection, then the statement. */
function queryBoundMs(timing: LeaseTiming): number {
  return timing.statementTimeoutMs + (timing.poolWaitTimeoutMs ?? 0);
}

/**
 * What the lease keeps back from the heartbeat timeout: the largest of one heartbeat
 * interval, a quarter of the timeout and the longest a query may take (the pool's wait
 * plus the statement timeout). A write checked against the lease just before it ends may
 * take that long to land; the margin makes it land before the run can be abandoned
 * (docs/engine.md, "The lease's timing").
 */
export function leaseMargin(timing: LeaseTiming): number {
  return Math.max(timing.heartbeatIntervalMs, timing.heartbeatTimeoutMs / 4, queryBoundMs(timing));
}

/** How long a lease runs after its heartbeat was sent. */
export function leaseValidMs(timing: LeaseTiming): number {
  return timing.heartbeatTimeoutMs - leaseMargin(timing);
}

/**
 * Why these settings cannot make a sound lease, or undefined. The lease must outlive one
 * heartbeat interval plus a heartbeat that takes the whole statement timeout to answer,
 * (after waiting for a connection), or a live run would lose its lease between two heartbeats.
 */
export function leaseTimingProblem(timing: LeaseTiming): string | undefined {
  const valid = leaseValidMs(timing);
  if (valid >= timing.heartbeatIntervalMs + queryBoundMs(timing)) return undefined;
  return (
    `BATCH_HEARTBEAT_TIMEOUT_MS=${timing.heartbeatTimeoutMs}: a run's lease would last ${valid} ms after each heartbeat ` +
    `(the timeout minus a margin of ${leaseMargin(timing)} ms), less than BATCH_HEARTBEAT_INTERVAL_MS (${timing.heartbeatIntervalMs}) ` +
    `plus DB_POOL_WAIT_TIMEOUT_MS (${timing.poolWaitTimeoutMs ?? 0}) plus DB_STATEMENT_TIMEOUT_MS (${timing.statementTimeoutMs}); raise the timeout or lower the others`
  );
}

export class Lease {
  /** The end of the lease, on `now`'s clock. */
  private validUntil: number;
  private timer: NodeJS.Timeout | undefined;
  private lostWith: LeaseLostError | undefined;

  /**
   * @param startedAt when the launch that created the execution (its first heartbeat) was sent
   */
  constructor(
    readonly execution: ExecutionLease,
    private readonly validMs: number,
    private readonly onLost: (error: LeaseLostError) => void,
    startedAt?: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.validUntil = (startedAt ?? this.now()) + validMs;
    this.arm();
  }

  /** Why the lease was lost, once it was. */
  get lost(): LeaseLostError | undefined {
    return this.lostWith;
  }

  /** Throws LeaseLostError when the lease is lost or has expired by this process's clock. */
  check(): void {
    if (!this.lostWith) {
      const late = this.now() - this.validUntil;
      if (late > 0) {
        this.lose(new LeaseLostError(this.execution.id, `no heartbeat confirmed in time: the lease of ${this.validMs} ms after the last confirmed heartbeat was sent ended ${Math.round(late)} ms ago`));
      }
    }
    if (this.lostWith) throw this.lostWith;
  }

  /**
   * A heartbeat the database accepted, sent at `sentAt` (this clock): the lease runs
   * until `sentAt` + its length. An older heartbeat answering late never shortens it.
   */
  confirm(sentAt: number): void {
    if (this.lostWith) return;
    this.validUntil = Math.max(this.validUntil, sentAt + this.validMs);
    this.arm();
  }

  lose(error: LeaseLostError): void {
    if (this.lostWith) return;
    this.lostWith = error;
    clearTimeout(this.timer);
    this.onLost(error);
  }

  close(): void {
    clearTimeout(this.timer);
  }

  /** Also ends the run when nothing writes (a tasklet waiting on the network, say). */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        try {
          this.check();
        } catch {
          // lost: onLost has aborted the run
        }
      },
      Math.max(0, this.validUntil - this.now()) + 1,
    );
    this.timer.unref();
  }
}

/**
 * Beats every `intervalMs` while the lease holds; returns the function that stops it.
 * One heartbeat in flight at most: a late one never overlaps the next, and the lease runs
 * from the send time of the one confirmed. A heartbeat that finds the run taken over
 * loses the lease; one that fails otherwise is only logged, and the lease runs out unless
 * a later one succeeds.
 */
export function keepAlive(
  lease: Lease,
  beat: () => Promise<string>,
  intervalMs: number,
  on: { readonly onStopAsked: () => void; readonly onFailure: (error: unknown) => void },
): () => void {
  let beating = false;
  const timer = setInterval(() => {
    if (beating) return;
    try {
      lease.check();
    } catch {
      return;
    }
    beating = true;
    const sentAt = performance.now();
    beat()
      .then((status) => {
        lease.confirm(sentAt);
        if (status === 'STOPPING') on.onStopAsked();
      })
      .catch((error: unknown) => {
        if (error instanceof LeaseLostError) lease.lose(error);
        else on.onFailure(error);
      })
      .finally(() => (beating = false));
  }, intervalMs);
  return () => clearInterval(timer);
}
