/**
 * SIGINT/SIGTERM during `batch-service run` or `restart`: the run stops at its next chunk
 * boundary and ends STOPPED, so the command prints its summary (with the restart command)
 * and exits 1 as for any run that did not complete. Should the chunk not end within the
 * shutdown timeout, the process exits anyway; the execution is then found abandoned
 * after the heartbeat timeout and restarts like a stopped one.
 */
import type { Logger } from 'pino';
import type { JobOperator } from '../engine/job-operator.js';

/** Installs the handlers; the returned function removes them once the run has ended. */
export function stopRunsOnSignal(operator: JobOperator, timeoutMs: number, logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  let signalled = false;
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn(`${signal} again: exiting without waiting for the chunk`);
      exit(1);
      return;
    }
    signalled = true;
    process.stderr.write(`${signal}: stopping at the next chunk boundary (at most ${timeoutMs} ms)…\n`);
    setTimeout(() => {
      logger.error(`the run did not stop within ${timeoutMs} ms (SHUTDOWN_TIMEOUT_MS); exiting`);
      exit(1);
    }, timeoutMs).unref();
    operator.stopAll().catch((error: unknown) => logger.error({ err: error }, 'could not stop the run'));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
