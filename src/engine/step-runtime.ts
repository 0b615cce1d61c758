import type { Logger } from 'pino';
import type { SkipRecord } from './step-repository.js';
import type { RetryHooks } from './retry.js';
import type { BatchListener, JobExecution, RetryOptions, StepExecution, StepRunContext } from './types.js';

/**
 * What the job runner hands a step runner: the step's execution and the run protocol's
 * writes, each checked against the run's lease and retried on transient errors.
 */
export interface StepRuntime {
  readonly execution: JobExecution;
  /** As created: counts and context restored from the last checkpoint on a restart. */
  readonly stepExecution: StepExecution;
  readonly context: StepRunContext;
  readonly listeners: readonly BatchListener[];
  readonly checkpointIntervalMs: number;
  readonly retryHooks: RetryHooks;
  retryOptions(overrides?: Partial<RetryOptions>): RetryOptions;
  /** The checkpoint: the step's counts and context, saved together. */
  saveProgress(step: StepExecution): Promise<void>;
  recordSkip(skip: SkipRecord): Promise<void>;
  /** Throws LeaseLostError once this process may no longer write for the run. */
  checkLease(): void;
  stopRequested(): boolean;
  now(): number;
  readonly log: Logger;
}

/** How a step ended; `error` is set when it FAILED. */
export interface StepOutcome {
  readonly execution: StepExecution;
  readonly error?: unknown;
  /**
   * The step failed on a write that may have committed (its last attempt's answer was
   * lost): the restart finds that chunk done and counts it as filtered, so the counts of
   * this step are a lower bound from now on.
   */
  readonly countsIncomplete?: boolean;
}
