/**
 * The vocabulary of the batch engine, modelled on Spring Batch 5: a job is an ordered
 * list of steps; a step is a chunk step (reader → processor → writer) or a tasklet.
 * A JobInstance is a job plus its identifying parameters; a JobExecution one attempt
 * at it; a StepExecution one attempt at one step, with its counts.
 */
import type { Kysely } from 'kysely';
import type { BatchDb } from '../db/schema/batch-tables.js';
import type { BatchStatusCode, TriggerCode } from '../vocabulary/codes.js';
import type { ExecutionContext } from './execution-context.js';

/** The code lists live in vocabulary/codes.ts, where the French labels are typed from them. */
export type BatchStatus = BatchStatusCode;
export type TriggerType = TriggerCode;

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
export type JsonObject = { readonly [key: string]: Json };

export interface JobParameter {
  readonly value: string;
  /** Identifying parameters make the JobInstance: same job + same values = same instance. */
  readonly identifying: boolean;
}
export type JobParameters = Readonly<Record<string, JobParameter>>;

export interface StepCounts {
  readonly read: number;
  readonly write: number;
  /**
   * What a dry run would have written: there the writer is never called and `write`
   * stays 0, so a would-write cannot be read as a write. Always 0 in a real run.
   */
  readonly wouldWrite: number;
  readonly filter: number;
  readonly readSkip: number;
  readonly processSkip: number;
  readonly writeSkip: number;
  readonly commit: number;
  readonly rollback: number;
}

export const ZERO_COUNTS: StepCounts = {
  read: 0, write: 0, wouldWrite: 0, filter: 0, readSkip: 0, processSkip: 0, writeSkip: 0, commit: 0, rollback: 0,
};

export function skipCount(counts: StepCounts): number {
  return counts.readSkip + counts.processSkip + counts.writeSkip;
}

/**
 * Where a dry run's job metrics are stored: `{"dryRun": {…the job's figures…}}`, never
 * beside real ones (a real run's metrics are the job's figures themselves).
 */
export const DRY_RUN_METRICS = 'dryRun';

/** A job's figures and whether they are a dry run's (what it would have done). */
export function jobFigures(execution: Pick<JobExecutionSummary, 'dryRun'> & { readonly metrics: JsonObject }): { readonly dryRun: boolean; readonly figures: JsonObject } {
  const nested = execution.metrics[DRY_RUN_METRICS];
  return execution.dryRun && nested !== null && typeof nested === 'object' && !Array.isArray(nested)
    ? { dryRun: true, figures: nested as JsonObject }
    : { dryRun: execution.dryRun, figures: execution.metrics };
}

/** What a step wrote, or in a dry run would have written: one figure for a job's metrics either way. */
export function changedCount(counts: StepCounts): number {
  return counts.write + counts.wouldWrite;
}

/** An execution as lists show it: what ran, how and when it ended; no context, metrics or bookkeeping. */
export interface JobExecutionSummary {
  readonly id: number;
  readonly jobName: string;
  readonly status: BatchStatus;
  /** COMPLETED, FAILED, STOPPED, ABANDONED (heartbeat lost), or EXECUTING while running. */
  readonly exitCode: string;
  readonly exitMessage: string | null;
  readonly parameters: JobParameters;
  readonly dryRun: boolean;
  readonly trigger: TriggerType;
  readonly triggeredBy: string | null;
  readonly restartOf: number | null;
  readonly startTime: Date | null;
  readonly endTime: Date | null;
}

export interface JobExecution extends JobExecutionSummary {
  readonly instanceId: number;
  readonly createdAt: Date;
  readonly lastUpdated: Date;
  readonly heartbeatAt: Date;
  readonly context: JsonObject;
  readonly metrics: JsonObject;
  readonly host: string;
}

export interface StepExecution {
  readonly id: number;
  readonly jobExecutionId: number;
  readonly stepName: string;
  readonly status: BatchStatus;
  /** As the job's, plus NOOP for a conditional step that did not apply. */
  readonly exitCode: string;
  readonly exitMessage: string | null;
  readonly counts: StepCounts;
  /**
   * How many items the step expects to read in all, the counts restored by a restart
   * included (`ChunkStep.estimate`); null when it gave none. Progress is `counts.read`
   * against it: a guide, not a promise (rows may change while the step runs).
   */
  readonly estimatedTotal: number | null;
  readonly context: JsonObject;
  readonly startTime: Date;
  readonly endTime: Date | null;
}

/** What every reader, processor, writer and tasklet gets to know about its run. */
export interface StepRunContext {
  readonly jobName: string;
  readonly jobExecutionId: number;
  readonly stepName: string;
  readonly parameters: JobParameters;
  /** The run's reference instant (docs/requirements.md): the `runAt` parameter, fixed at first launch. */
  readonly runAt: Date;
  /** Readers and processors run; writers and tasklets must change nothing. */
  readonly dryRun: boolean;
  /** What this step saved at its last checkpoint (empty on a first run). */
  readonly restoredContext: JsonObject;
  /** Shared by the steps of one job instance; saved after each step. */
  readonly jobContext: ExecutionContext;
  /** Aborted when the step times out, the execution is asked to stop or its lease is lost. */
  readonly signal: AbortSignal;
  /**
   * Throws LeaseLostError once this process may no longer act for the run: call it before
   * each side effect the engine cannot undo (a mail, a file moved or deleted).
   */
  checkLease(): void;
}

/**
 * Reads items in order. `read(max)` returns at most `max` items; an empty array means
 * the input is exhausted. `state()` is the position saved after a committed chunk; a
 * restarted step gets it back as `restoredContext` and must resume after it.
 */
export interface ItemReader<T> {
  read(max: number): Promise<readonly T[]>;
  state?(): JsonObject;
  close?(): Promise<void>;
}

/**
 * Writes one chunk atomically and idempotently (a replayed chunk must be harmless: see
 * docs/engine.md). Returns the number of items actually changed when it differs from the
 * number given (rows already gone, for example).
 */
export interface ItemWriter<T> {
  /** Returns the items written (all of them when void): the rest are counted as filtered. */
  write(items: readonly T[], attempt?: WriteAttempt): Promise<number | void>;
}

export interface WriteAttempt {
  /**
   * An earlier attempt of this same call lost its connection mid-statement (its
   * acknowledgement lost): it may have committed. A writer that counts what it changed
   * counts the items that attempt changed as written, not as already done by someone else.
   */
  readonly afterUncertainCommit: boolean;
}

export interface SkipPolicy {
  /** Most items this step may skip (cumulated over restarts) before it fails. */
  readonly limit: number;
  /** Which errors mark an item as bad (default: every non-transient error). */
  readonly skippable?: (error: unknown) => boolean;
}

export interface RetryOptions {
  /** Total attempts, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly retryable: (error: unknown) => boolean;
}

interface StepCommon {
  readonly name: string;
  /** Run the step only when this holds; otherwise it is recorded with exit code NOOP. */
  readonly condition?: (jobContext: ExecutionContext) => boolean;
  /**
   * The step fails when still running after this long: checked between chunks and after
   * each read and write, and the context's signal is aborted for those that watch it.
   */
  readonly timeoutMs?: number;
  readonly retry?: Partial<RetryOptions>;
}

export interface ChunkStep<I = unknown, O = I> extends StepCommon {
  readonly kind: 'chunk';
  readonly chunkSize: number;
  readonly reader: (context: StepRunContext) => ItemReader<I>;
  /** Returns null to filter an item out. */
  readonly processor?: (item: I, context: StepRunContext) => O | null | Promise<O | null>;
  readonly writer: (context: StepRunContext) => ItemWriter<O>;
  readonly skip?: SkipPolicy;
  /**
   * Read the next chunk while this one is processed and written (on MariaDB, on another
   * pooled connection, so the two overlap). Only for readers whose next page does not
   * depend on this chunk's writes — a keyset reader past the chunk's last key, for one.
   */
  readonly readAhead?: boolean;
  /** How a skipped item is recorded (default: the item itself as JSON). */
  readonly describeItem?: (item: I | O) => Json;
  /**
   * How many items the reader will return from where it stands (after `restoredContext`
   * on a restart), for progress displays; null when it cannot tell cheaply. Called once
   * as the step starts, before the first read: one `count(*)` with the reader's own
   * condition (on an index where the table has one), not a second read of the data. The
   * engine adds the restored counts and records the sum as the step's `estimatedTotal`;
   * an estimate that throws is logged at debug and leaves it null.
   *
   * @example
   * estimate: (ctx) => countExpired(db, ctx.runAt, keysetPosition(ctx.restoredContext)),
   */
  readonly estimate?: (context: StepRunContext) => Promise<number | null>;
}

export interface TaskletContext extends StepRunContext {
  /** Adds to the step's counts (shown per step like a chunk step's). */
  count(delta: Partial<StepCounts>): void;
  /**
   * Replaces what the step saves as its context, and saves it at once (lease checked):
   * record progress before the side effect it guards is repeated, e.g. each mail sent.
   */
  saveState(state: JsonObject): Promise<void>;
  /** The step completes with this warning as its exit message, and the job with it in its own. */
  warn(message: string): void;
}

export interface TaskletStep extends StepCommon {
  readonly kind: 'tasklet';
  readonly run: (context: TaskletContext) => Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a job mixes steps of any item types
export type StepDefinition = ChunkStep<any, any> | TaskletStep;

export interface JobDefinition {
  readonly name: string;
  readonly description: string;
  readonly steps: readonly StepDefinition[];
  /** Throws JobParametersInvalidError for a bad parameter (an API 400). */
  readonly validateParameters?: (parameters: JobParameters) => void;
  /**
   * Why the job cannot run at all right now (archiveJob without a key), in a sentence for
   * the console; undefined when it can. Its launch is refused anyway: this only says so
   * before anyone tries.
   */
  readonly unavailable?: () => string | undefined;
  /**
   * Job-specific metrics from the latest execution of each step of the instance. Derive
   * them from durable state where the job can (rows recorded under the instance's
   * executions): step counts miss what was committed after a crash's last checkpoint.
   */
  readonly metrics?: (steps: ReadonlyMap<string, StepExecution>, jobContext: ExecutionContext, execution: JobExecution) => JsonObject | Promise<JsonObject>;
  /**
   * How a dry run's figures read, one phrase per metric with `{n}` for the number:
   * `{ refreshTokensDeleted: 'would delete {n} refresh tokens' }`. A dry run's summary
   * says these instead of the figures' names, so a would-delete cannot read as a delete;
   * a figure without a phrase is shown as `name=value` under "would".
   */
  readonly dryRunWords?: Readonly<Record<string, string>>;
  readonly listeners?: readonly BatchListener[];
}

export interface ChunkReport {
  readonly read: number;
  readonly written: number;
  readonly durationMs: number;
}

/** Hooks around jobs, steps and chunks: logging, history, metrics and alerts live here, once. */
export interface BatchListener {
  beforeJob?(execution: JobExecution): void | Promise<void>;
  /**
   * Writes that must commit with the end of the run, in the batchdb transaction that
   * records it — the history row, the failure event and mail — given the execution as
   * ended: a crash leaves the end with them or neither. Called for a run's own end and
   * for an abandonment. It writes through `tx` only and sends nothing; an error rolls the
   * end back (it is retried, then left to the sweep), so it is for the engine-wide
   * records alone. Everything else belongs in `afterJob`.
   */
  recordEnd?(tx: Kysely<BatchDb>, execution: JobExecution, steps: readonly StepExecution[]): Promise<void>;
  /** After the end has committed; its failure is logged and changes nothing. */
  afterJob?(execution: JobExecution, steps: readonly StepExecution[]): void | Promise<void>;
  beforeStep?(execution: JobExecution, step: StepExecution): void | Promise<void>;
  afterStep?(execution: JobExecution, step: StepExecution): void | Promise<void>;
  afterChunk?(execution: JobExecution, step: StepExecution, chunk: ChunkReport): void | Promise<void>;
}
