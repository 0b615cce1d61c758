/**
 * The chunk loop: read up to `chunkSize` items, process them, write them in one call,
 * checkpoint, repeat. Between chunks it yields to the event loop, looks for a stop
 * request and the step's deadline; before each read and each write it checks the run's
 * lease, so a process that lost it writes nothing more. The deadline also aborts the
 * context's signal, which long reads and writes may watch. Before the first chunk, the
 * step's estimate (if it has one) is taken once, for progress displays.
 *
 * Counts add up in every ending: read = written + would-write (a dry run's, where written
 * is 0) + filtered + process and write skips.
 * An item the writer did not need to change (an alert already sent, a token already
 * gone) is counted as filtered.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { mayHaveCommitted } from '../db/errors.js';
import { databaseOf } from '../db/guarded-dialect.js';
import { LeaseLostError, SkipLimitExceededError, StepTimeoutError } from './errors.js';
import { withRetry } from './retry.js';
import type { StepOutcome, StepRuntime } from './step-runtime.js';
import { skipCount, type ChunkStep, type Json, type StepCounts, type StepExecution } from './types.js';

type MutableCounts = { -readonly [K in keyof StepCounts]: StepCounts[K] };

/**
 * How long the chunk loop may keep the event loop to itself. better-sqlite3 is
 * synchronous: a job on SQLite never lets timers (the heartbeat) or HTTP requests run
 * unless it yields. Yielding after every chunk cost a tenth of tokenCleanupJob's time on
 * SQLite (a `setImmediate` round per 100 ids); every 10 ms keeps a heartbeat or a stop
 * request waiting at most that long, far inside the lease's margin.
 */
const YIELD_EVERY_MS = 10;

export async function runChunkStep<I, O>(step: ChunkStep<I, O>, runtime: StepRuntime): Promise<StepOutcome> {
  const { context } = runtime;
  const counts: MutableCounts = { ...runtime.stepExecution.counts };
  // Carried by every value this step hands on, so the first checkpoint records it.
  const start: StepExecution = { ...runtime.stepExecution, estimatedTotal: await estimateTotal(step, runtime) };
  const reader = step.reader(context);
  const writer = step.writer(context);
  const retry = runtime.retryOptions(step.retry);
  const retryHooks = {
    ...runtime.retryHooks,
    onRetry: (error: unknown, attempt: number, delayMs: number) => {
      counts.rollback++;
      runtime.log.warn({ err: error, attempt, delayMs, step: step.name }, 'transient error, retrying');
    },
  };
  /** What the step was doing, for a failure's message (which statement timed out, say). */
  let doing = 'starting';
  const deadline = step.timeoutMs === undefined ? Infinity : runtime.now() + step.timeoutMs;
  let state = runtime.stepExecution.context;
  // What the last committed chunk left: a failure mid-chunk saves these, so the counts
  // saved with the reader's position describe the same chunks.
  let committed: StepCounts = { ...counts };
  let lastCheckpoint = runtime.now();
  // Real elapsed time, not the run's clock: a test's frozen clock must not stop the yields.
  let lastYield = performance.now();
  const snapshot = (): StepExecution => ({ ...start, counts: { ...counts }, context: state });

  // A lost lease, a timeout or a stop is about the run, not an item.
  const skippable = (error: unknown) => !!step.skip && !(error instanceof LeaseLostError) && !context.signal.aborted && (step.skip.skippable ?? defaultSkippable(retry.retryable))(error);
  const skip = async (phase: 'READ' | 'PROCESS' | 'WRITE', item: I | O | null, error: unknown) => {
    const policy = step.skip;
    if (!policy || !skippable(error)) throw error;
    if (phase === 'PROCESS') counts.processSkip++;
    else if (phase === 'WRITE') counts.writeSkip++;
    else counts.readSkip++;
    await runtime.recordSkip({
      jobExecutionId: runtime.execution.id,
      stepExecutionId: runtime.stepExecution.id,
      stepName: step.name,
      phase,
      item: JSON.stringify(item === null ? null : (step.describeItem?.(item) ?? (item as Json))),
      reason: error instanceof Error ? error.message : String(error),
    });
    if (skipCount(counts) > policy.limit) throw new SkipLimitExceededError(step.name, policy.limit, { cause: error });
  };

  const readChunk = () => {
    // Checked before every attempt, read-ahead included: a run without its lease reads nothing more.
    const read = withRetry(
      () => {
        runtime.checkLease();
        return reader.read(step.chunkSize);
      },
      retry,
      retryHooks,
    );
    // A read-ahead may fail while the current chunk is still being written; its error
    // surfaces when the loop awaits it, not as an unhandled rejection.
    read.catch(() => undefined);
    return read;
  };
  let prefetched: Promise<readonly I[]> | undefined;
  /** The write that failed the step may have committed (see StepOutcome.countsIncomplete). */
  let failedUncertain = false;

  const write = async (items: readonly O[]): Promise<number> => {
    let afterUncertainCommit = false;
    // Checked before every attempt: a retry must not land after the lease ran out.
    const written = await withRetry(
      () => {
        runtime.checkLease();
        return writer.write(items, { afterUncertainCommit }).catch((error: unknown) => {
          if (mayHaveCommitted(error)) afterUncertainCommit = true;
          throw error;
        });
      },
      retry,
      retryHooks,
    ).catch((error: unknown) => {
      failedUncertain = afterUncertainCommit;
      throw error;
    });
    return typeof written === 'number' ? Math.min(written, items.length) : items.length;
  };
  const pastDeadline = () => {
    if (runtime.now() > deadline) throw new StepTimeoutError(step.name, step.timeoutMs ?? 0);
  };

  try {
    for (;;) {
      if (runtime.stopRequested()) {
        return { execution: { ...snapshot(), status: 'STOPPED', exitCode: 'STOPPED', exitMessage: 'stopped on request' } };
      }
      pastDeadline();
      runtime.checkLease();
      const started = runtime.now();
      doing = 'reading a chunk';
      const items = await (prefetched ?? readChunk());
      prefetched = undefined;
      pastDeadline();
      // Where the reader stands after this chunk: saved once the chunk has committed.
      const position = reader.state?.() ?? state;
      if (items.length === 0) break;
      counts.read += items.length;
      if (step.readAhead) prefetched = readChunk();

      const outputs: O[] = [];
      doing = 'processing an item';
      for (const item of items) {
        try {
          const output = step.processor ? await step.processor(item, context) : (item as unknown as O);
          if (output === null || output === undefined) counts.filter++;
          else outputs.push(output);
        } catch (error) {
          await skip('PROCESS', item, error);
        }
      }

      let written = 0;
      let wouldWrite = 0;
      const skippedBefore = counts.writeSkip;
      if (outputs.length > 0 && context.dryRun) {
        // The writer is never called, so a dry run cannot change data; what it would have
        // written is its own count, never `write`.
        wouldWrite = outputs.length;
      } else if (outputs.length > 0) {
        doing = 'writing a chunk';
        try {
          written = await write(outputs);
        } catch (error) {
          counts.rollback++;
          // Only an error that could be an item's is worth a scan (as Spring Batch): a full
          // disk or a database fault the retries did not absorb fails the chunk as it is.
          if (!skippable(error)) throw error;
          // Scan the chunk item by item to find the bad ones; writers are atomic per call,
          // so the failed call changed nothing.
          for (const output of outputs) {
            try {
              written += await write([output]);
            } catch (itemError) {
              await skip('WRITE', output, itemError);
            }
          }
        }
      }
      pastDeadline();
      counts.write += written;
      counts.wouldWrite += wouldWrite;
      counts.filter += outputs.length - written - wouldWrite - (counts.writeSkip - skippedBefore);
      counts.commit++;
      state = position;
      committed = { ...counts };

      const progress = snapshot();
      for (const listener of runtime.listeners) {
        // A listener's failure is logged and never changes the step's outcome (as every other hook).
        try {
          await listener.afterChunk?.(runtime.execution, progress, { read: items.length, written, durationMs: runtime.now() - started });
        } catch (error) {
          runtime.log.error({ err: error, step: step.name }, 'batch listener failed');
        }
      }
      // The checkpoint may trail the committed chunks by up to checkpointIntervalMs:
      // writers are idempotent, so a restart replaying those chunks is harmless, and
      // one batchdb commit per chunk would double the cost of a chunk (docs/engine.md).
      if (runtime.now() - lastCheckpoint >= runtime.checkpointIntervalMs) {
        doing = 'saving its checkpoint';
        await runtime.saveProgress(progress);
        lastCheckpoint = runtime.now();
      }
      if (performance.now() - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
  } catch (error) {
    // A reader or writer that watches the signal fails with an abort: say why it was aborted.
    const reason: unknown = context.signal.aborted ? context.signal.reason : undefined;
    const ended = { ...start, counts: { ...committed, rollback: counts.rollback }, context: state };
    if (runtime.stopRequested() && reason !== undefined && !(reason instanceof StepTimeoutError) && !(reason instanceof LeaseLostError)) {
      return { execution: { ...ended, status: 'STOPPED', exitCode: 'STOPPED', exitMessage: 'stopped on request' } };
    }
    const cause = reason instanceof StepTimeoutError || reason instanceof LeaseLostError ? reason : error;
    const failed: StepExecution = { ...ended, status: 'FAILED', exitCode: 'FAILED', exitMessage: failureMessage(cause, `${doing} of ${step.name}`) };
    return { execution: failed, error: cause, countsIncomplete: failedUncertain };
  } finally {
    // A read-ahead still in flight (the step failed or stopped meanwhile) ends before the
    // reader closes: close() never pulls a connection or cursor from under a read.
    if (prefetched) await prefetched.catch(() => undefined);
    await reader.close?.();
  }
  return { execution: { ...snapshot(), status: 'COMPLETED', exitCode: 'COMPLETED', exitMessage: null } };
}

/**
 * What the step expects to read in all: its estimate of what remains from the reader's
 * position plus the counts a restart restored. A restart estimates again rather than
 * keep the first run's figure, because rows came and went meanwhile (the tokens it
 * deleted are no longer there to count). An estimate only feeds a display, so its
 * failure never fails the step.
 */
async function estimateTotal<I, O>(step: ChunkStep<I, O>, runtime: StepRuntime): Promise<number | null> {
  if (!step.estimate) return null;
  try {
    const remaining = await step.estimate(runtime.context);
    if (remaining === null || !Number.isFinite(remaining) || remaining < 0) return null;
    return Math.round(remaining) + runtime.stepExecution.counts.read;
  } catch (error) {
    runtime.log.debug({ err: error, step: step.name }, 'step estimate failed; its progress shows without a total');
    return null;
  }
}

/** Without an explicit rule, an item is bad when its error is not a passing database fault. */
function defaultSkippable(retryable: (error: unknown) => boolean): (error: unknown) => boolean {
  return (error) => !retryable(error);
}

/**
 * A failure's exit message. A database's error names the database and what the step was
 * doing (« userdb: reading a chunk of itemsStep failed: … max_statement_time exceeded »),
 * so a timed-out statement says where to look.
 */
export function failureMessage(cause: unknown, purpose: string): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  const database = databaseOf(cause);
  return database === undefined ? message : `${database}: ${purpose} failed: ${message}`;
}
