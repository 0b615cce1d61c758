/**
 * Orderly stop on SIGTERM/SIGINT: the steps run one after the other, each failure logged
 * and passed over, all within a deadline after which the process exits anyway (exit code
 * 1) — an orchestrator sends SIGKILL soon after its own grace period, and an execution
 * left STARTED by a killed process is only found abandoned after the heartbeat timeout.
 * A second signal exits at once, for an operator who does not want to wait.
 */
import type { Logger } from 'pino';

export interface ShutdownStep {
  readonly name: string;
  run(): unknown;
}

export interface ShutdownOptions {
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Last words once the steps are done or the deadline passed (flushing the log files). */
  readonly finally?: () => Promise<void>;
  readonly exit?: (code: number) => void;
}

/** Installs the signal handlers; `steps` is called at the first signal to build the sequence. */
export function onTerminationSignal(steps: (signal: NodeJS.Signals) => readonly ShutdownStep[], options: ShutdownOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let started = false;
  const handler = (signal: NodeJS.Signals) => {
    if (started) {
      options.logger.warn(`${signal} again: exiting without waiting`);
      exit(1);
      return;
    }
    started = true;
    options.logger.info(`${signal}: shutting down (at most ${options.timeoutMs} ms)`);
    void runShutdown(steps(signal), options).then(exit);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** Runs the steps; resolves with the exit code: 0 when all ended in time, 1 otherwise. */
export async function runShutdown(steps: readonly ShutdownStep[], options: ShutdownOptions): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  const sequence = (async () => {
    let failed = false;
    for (const step of steps) {
      try {
        await step.run();
        options.logger.debug(`shutdown: ${step.name} done`);
      } catch (error) {
        failed = true;
        options.logger.error({ err: error }, `shutdown: ${step.name} failed`);
      }
    }
    return failed ? ('failed' as const) : ('done' as const);
  })();
  const outcome = await Promise.race([sequence, deadline]);
  clearTimeout(timer);
  if (outcome === 'timeout') options.logger.error(`shutdown did not finish within ${options.timeoutMs} ms (SHUTDOWN_TIMEOUT_MS); exiting anyway`);
  else options.logger.info('shutdown complete');
  try {
    await Promise.race([options.finally?.(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  } catch {
    // The log files are the last thing closed; there is nowhere left to report their failure.
  }
  return outcome === 'done' ? 0 : 1;
}
