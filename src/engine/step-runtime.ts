import type { Logger } from 'pino';
import type { JobRepository } from './job-repository.js';
import type { RetryHooks } from './retry.js';
import type { BatchListener, JobExecution, RetryOptions, StepExecution, StepRunContext } from './types.js';

/** What the job runner hands a step runner: the step's execution and the engine's services. */
export interface StepRuntime {
  readonly repository: JobRepository;
  readonly execution: JobExecution;
  /** As created: counts and context restored from the last checkpoint on a restart. */
  readonly stepExecution: StepExecution;
  readonly context: StepRunContext;
  readonly listeners: readonly BatchListener[];
  readonly checkpointIntervalMs: number;
  readonly retryHooks: RetryHooks;
  retryOptions(overrides?: Partial<RetryOptions>): RetryOptions;
  stopRequested(): boolean;
  now(): number;
  readonly log: Logger;
}

/** How a step ended; `error` is set when it FAILED. */
export interface StepOutcome {
  readonly execution: StepExecution;
  readonly error?: unknown;
}
