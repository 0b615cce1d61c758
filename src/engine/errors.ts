/** Errors callers handle; the HTTP layer maps them to status codes. */

export class JobNotFoundError extends Error {
  constructor(readonly jobName: string, known: readonly string[]) {
    super(`unknown job ${JSON.stringify(jobName)}; known jobs: ${known.join(', ')}`);
    this.name = 'JobNotFoundError';
  }
}

export class JobExecutionNotFoundError extends Error {
  constructor(readonly executionId: number) {
    super(`no job execution with id ${executionId}`);
    this.name = 'JobExecutionNotFoundError';
  }
}

export class JobAlreadyRunningError extends Error {
  constructor(readonly jobName: string, readonly runningExecutionId: number | null) {
    super(
      `${jobName} is already running${runningExecutionId === null ? '' : ` (execution ${runningExecutionId})`}; ` +
        'wait for it to end or stop it first',
    );
    this.name = 'JobAlreadyRunningError';
  }
}

export class JobInstanceAlreadyCompleteError extends Error {
  constructor(readonly jobName: string, readonly parameters: string, readonly executionId: number) {
    super(
      `${jobName} already completed with these identifying parameters (${parameters}) in execution ${executionId}; ` +
        'launch it with other parameters, or without any to get a new instance',
    );
    this.name = 'JobInstanceAlreadyCompleteError';
  }
}

export class JobRestartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobRestartError';
  }
}

export class JobParametersInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobParametersInvalidError';
  }
}

export class SkipLimitExceededError extends Error {
  constructor(readonly stepName: string, readonly limit: number, options?: ErrorOptions) {
    super(`${stepName}: more than ${limit} items skipped; fix the bad items and restart`, options);
    this.name = 'SkipLimitExceededError';
  }
}

export class StepTimeoutError extends Error {
  constructor(readonly stepName: string, readonly timeoutMs: number) {
    super(`${stepName}: still running after ${timeoutMs} ms (step timeout); restart to resume`);
    this.name = 'StepTimeoutError';
  }
}

/**
 * This process no longer owns the execution: another process found it silent past the
 * heartbeat timeout and abandoned it (or restarted it). Nothing more may be written for it.
 */
export class LeaseLostError extends Error {
  constructor(readonly executionId: number, why: string) {
    super(`execution ${executionId}: lease lost (${why}); this process writes nothing more for it, the repository's record stands`);
    this.name = 'LeaseLostError';
  }
}

/** Another launch of the same instance committed first (launch is a compare-and-set). */
export class JobLaunchConflictError extends Error {
  constructor(readonly jobName: string, readonly currentExecutionId: number | null) {
    super(
      `${jobName}: another launch of this instance won the race${currentExecutionId === null ? '' : ` (execution ${currentExecutionId})`}; ` +
        'look at that execution before launching again',
    );
    this.name = 'JobLaunchConflictError';
  }
}
