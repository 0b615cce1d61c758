/**
 * A running execution's lease, as this process sees it (docs/engine.md, "Fencing").
 *
 * Another process abandons an execution whose heartbeat is older than the heartbeat
 * timeout. This process must therefore stop writing before that can happen: the lease is
 * valid for the timeout minus a margin after the last heartbeat the database confirmed,
 * measured on this process's monotonic clock, so a paused process (SIGSTOP, a frozen
 * container, a long synchronous statement) finds it expired the moment it runs again,
 * before its next write. The repository's owner check catches what the clock cannot (the
 * run taken over while this process was not looking); either way the lease is lost for
 * good and the run's signal is aborted.
 *
 * @example
 * const lease = new Lease({ id: 12, owner }, 45_000, (lost) => abort.abort(lost));
 * lease.check();   // before each write: throws LeaseLostError once expired
 * lease.confirm(); // after each heartbeat the database accepted
 */
import { LeaseLostError } from './errors.js';
import type { ExecutionLease } from './job-repository.js';

export class Lease {
  private confirmedAt = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private lostWith: LeaseLostError | undefined;

  constructor(
    readonly execution: ExecutionLease,
    private readonly validMs: number,
    private readonly onLost: (error: LeaseLostError) => void,
  ) {
    this.arm();
  }

  /** Why the lease was lost, once it was. */
  get lost(): LeaseLostError | undefined {
    return this.lostWith;
  }

  /** Throws LeaseLostError when the lease is lost or has expired by this process's clock. */
  check(): void {
    if (!this.lostWith) {
      const silentMs = performance.now() - this.confirmedAt;
      if (silentMs > this.validMs) {
        this.lose(new LeaseLostError(this.execution.id, `no heartbeat confirmed for ${Math.round(silentMs)} ms, past its lease of ${this.validMs} ms`));
      }
    }
    if (this.lostWith) throw this.lostWith;
  }

  /** A heartbeat the database accepted: the lease runs again from now. */
  confirm(): void {
    if (this.lostWith) return;
    this.confirmedAt = performance.now();
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
    this.timer = setTimeout(() => {
      try {
        this.check();
      } catch {
        // lost: onLost has aborted the run
      }
    }, this.validMs + 1);
    this.timer.unref();
  }
}
