/**
 * The listeners of a job: the engine-wide ones (logging, history, metrics, failure
 * alerts) first, then the job's own. Both the operator (an abandonment) and the runner
 * (an ending) tell them the same way.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { BatchDb } from '../db/schema/batch-tables.js';
import type { BatchListener, JobDefinition, JobExecution, StepExecution } from './types.js';

export class EngineListeners {
  constructor(
    private readonly engineWide: readonly BatchListener[],
    private readonly logger: Logger,
  ) {}

  of(job: JobDefinition | undefined): readonly BatchListener[] {
    return [...this.engineWide, ...(job?.listeners ?? [])];
  }

  /** The listeners' part of the end's transaction (history row, failure notice); see BatchListener.recordEnd. */
  async recordEnd(job: JobDefinition | undefined, tx: Kysely<BatchDb>, ended: JobExecution, steps: readonly StepExecution[]): Promise<void> {
    for (const listener of this.of(job)) await listener.recordEnd?.(tx, ended, steps);
  }

  /** Listener failures are logged, never allowed to change a job's outcome. */
  async notify(job: JobDefinition | undefined, call: (listener: BatchListener) => unknown): Promise<void> {
    for (const listener of this.of(job)) {
      try {
        await call(listener);
      } catch (error) {
        this.logger.error({ err: error, job: job?.name }, 'batch listener failed');
      }
    }
  }
}
