/**
 * Retention (issue 22, item 9): tokenCleanupJob's third step purges batchdb's own history
 * older than BATCH_RETENTION_DAYS before `runAt`, in chunks, each chunk one transaction,
 * so a crash between two leaves whole chunks done and the rest untouched, and the next
 * run (or the restart) carries on from there. Three kinds of records, in this order:
 *
 * 1. Executions, a job instance at a time: an instance goes once its newest execution
 *    (its current one) is COMPLETED and ended before the cutoff, with every earlier
 *    attempt of it. Never purged: a running execution, an instance whose newest execution
 *    is FAILED or STOPPED (a restart reads the steps of every execution of the instance:
 *    completed steps are skipped, the interrupted one resumes from its checkpoint), and
 *    the newest execution of each job (the job list shows each job's last run).
 *    An instance a person acted on — one of its executions named by a JOB_RUN, JOB_STOP or
 *    JOB_RESTART audit entry — keeps its instance row and every execution row (the summary
 *    the API, the CLI and the console list and show), and loses their step executions,
 *    skipped items and history rows; `details_purged_at` says when. Any other instance goes
 *    whole: instance, executions, steps, skips, history. JOB_EXECUTION_END entries name
 *    every execution and carry its summary themselves, so they keep nothing. The audit log
 *    itself is never touched (its triggers would refuse it anyway).
 * 2. Delivered outbox events (DELIVERED, delivered before the cutoff). PENDING and FAILED
 *    events stay whatever their age: they still need the relay or a person.
 * 3. Rate-limit windows last opened before the cutoff.
 * 4. Mails of the mail outbox (the engine's failure notices) SENT before the cutoff. Mails
 *    not yet sent stay whatever their age, as events do.
 *
 * Counts: an item is an execution, an event or a window; read = examined, written = purged
 * (deleted, or for a person's executions, emptied of details), filtered = examined but
 * already gone (a chunk replayed after a crash). A dry run examines the same items by the
 * same rules and announces each as a would-write, so it names what the real run on the
 * same data and `runAt` then purges.
 */
import { asJsonObject } from '../../engine/execution-context.js';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { DatabaseHandle } from '../../db/connect.js';
import type { BatchDb } from '../../db/schema/batch-tables.js';
import { sqlTimestamp, sqlTimestampMillis } from '../../db/sql-time.js';
import type { JsonObject, TaskletContext, TaskletStep } from '../../engine/types.js';

export const PURGE_STEP = 'purgeBatchHistoryStep';

/** The audited actions of a person on an execution (the scheduler's launches are not audited). */
const PERSON_ACTIONS = ['JOB_RUN', 'JOB_STOP', 'JOB_RESTART'];

export interface RetentionDeps {
  readonly batch: DatabaseHandle<BatchDb>;
  /** BATCH_RETENTION_DAYS. */
  readonly retentionDays: number;
  /** Instances, events or windows per chunk and transaction. */
  readonly chunkSize: number;
}

/** What the step purged (or, in a dry run, would purge): the job's figures. */
export interface RetentionFigures {
  /** Executions deleted with their instance, steps, skips and history. */
  readonly executionsDeleted: number;
  /** Executions a person acted on: row kept, steps, skips and history deleted. */
  readonly executionsTrimmed: number;
  readonly outboxEventsDeleted: number;
  readonly rateLimitWindowsDeleted: number;
  readonly outboxMailsDeleted: number;
}

const NO_FIGURES: RetentionFigures = { executionsDeleted: 0, executionsTrimmed: 0, outboxEventsDeleted: 0, rateLimitWindowsDeleted: 0, outboxMailsDeleted: 0 };

type Phase = 'executions' | 'events' | 'windows' | 'mails';
const PHASES: readonly Phase[] = ['executions', 'events', 'windows', 'mails'];

/** The step's saved state: where it stands and what it purged so far (saved after every chunk). */
interface PurgeState {
  readonly phase: Phase | 'done';
  /** The last key examined in this phase: an execution id, an event id, a window key. */
  readonly after: number | string;
  readonly figures: RetentionFigures;
}

/** `runAt` minus the retention, in days of 24 hours. */
export function retentionCutoff(runAt: Date, retentionDays: number): Date {
  return new Date(runAt.getTime() - retentionDays * 86_400_000);
}

/** The figures a finished (or interrupted) purge step recorded in its context. */
export function retentionFigures(context: JsonObject | undefined): RetentionFigures {
  const figures = (context as Partial<PurgeState> | undefined)?.figures;
  return { ...NO_FIGURES, ...figures };
}

/** One chunk's outcome: how many items were examined, how many purged, and of which kind. */
interface Chunk {
  readonly lastKey: number | string;
  readonly examined: number;
  readonly purged: Partial<RetentionFigures>;
}

export function purgeBatchHistoryStep(deps: RetentionDeps): TaskletStep {
  const db = deps.batch.db;
  const chunkers: Readonly<Record<Phase, (ctx: TaskletContext, cutoff: Date, after: number | string) => Promise<Chunk | null>>> = {
    executions: (ctx, cutoff, after) => executionsChunk(db, ctx, cutoff, Number(after), deps.chunkSize),
    events: (ctx, cutoff, after) => eventsChunk(db, ctx, cutoff, Number(after), deps.chunkSize),
    windows: (ctx, cutoff, after) => windowsChunk(db, ctx, cutoff, String(after), deps.chunkSize),
    mails: (ctx, cutoff, after) => mailsChunk(db, ctx, cutoff, Number(after), deps.chunkSize),
  };
  return {
    kind: 'tasklet',
    name: PURGE_STEP,
    run: async (ctx) => {
      const cutoff = retentionCutoff(ctx.runAt, deps.retentionDays);
      const restored = ctx.restoredContext as Partial<PurgeState>;
      let state: PurgeState = { phase: restored.phase ?? 'executions', after: restored.after ?? firstKey('executions'), figures: retentionFigures(ctx.restoredContext) };
      while (state.phase !== 'done') {
        if (ctx.signal.aborted) throw ctx.signal.reason as Error;
        const chunk = await chunkers[state.phase](ctx, cutoff, state.after);
        if (chunk === null) {
          const next = PHASES[PHASES.indexOf(state.phase) + 1];
          state = { ...state, phase: next ?? 'done', after: next ? firstKey(next) : 0 };
        } else {
          const purged = Object.values(chunk.purged).reduce((sum, n) => sum + (n ?? 0), 0);
          state = { ...state, after: chunk.lastKey, figures: added(state.figures, chunk.purged) };
          ctx.count({ read: chunk.examined, write: purged, filter: chunk.examined - purged });
        }
        // The position, the figures and the counts of this chunk are saved together.
        await ctx.saveState(asJsonObject(state));
        // better-sqlite3 is synchronous: without this a long purge would hold back the
        // heartbeat (and the lease with it) and every HTTP request until it ended.
        await yieldToEventLoop();
      }
    },
  };
}

function added(total: RetentionFigures, more: Partial<RetentionFigures>): RetentionFigures {
  return {
    executionsDeleted: total.executionsDeleted + (more.executionsDeleted ?? 0),
    executionsTrimmed: total.executionsTrimmed + (more.executionsTrimmed ?? 0),
    outboxEventsDeleted: total.outboxEventsDeleted + (more.outboxEventsDeleted ?? 0),
    rateLimitWindowsDeleted: total.rateLimitWindowsDeleted + (more.rateLimitWindowsDeleted ?? 0),
    outboxMailsDeleted: total.outboxMailsDeleted + (more.outboxMailsDeleted ?? 0),
  };
}

function firstKey(phase: Phase): number | string {
  return phase === 'windows' ? '' : 0;
}

/**
 * Up to `limit` purgeable instances after the last examined current execution id, with
 * every execution of each: deleted whole, or trimmed when a person acted on the instance.
 * Walks COMPLETED executions by id (on the `(status, id)` index, or the primary key where
 * nearly every row is COMPLETED): a COMPLETED execution is always its instance's newest
 * (a completed instance is never launched again).
 */
async function executionsChunk(db: Kysely<BatchDb>, ctx: TaskletContext, cutoff: Date, after: number, limit: number): Promise<Chunk | null> {
  const current = await db
    .selectFrom('batch_job_execution as c')
    .innerJoin('batch_job_instance as i', (join) => join.onRef('i.id', '=', 'c.job_instance_id').onRef('i.current_execution_id', '=', 'c.id'))
    .select(['c.id', 'c.job_instance_id'])
    .where('c.status', '=', 'COMPLETED')
    .where('c.id', '>', after)
    .where('c.end_time', '<', sqlTimestamp(cutoff))
    .where('c.details_purged_at', 'is', null)
    .where('c.id', 'not in', (eb) => eb.selectFrom('batch_job_execution').select((e) => e.fn.max('id').as('id')).groupBy('job_name'))
    .orderBy('c.id')
    .limit(limit)
    .execute();
  if (current.length === 0) return null;
  const instanceIds = current.map((row) => Number(row.job_instance_id));
  const executions = await db.selectFrom('batch_job_execution').select(['id', 'job_name', 'job_instance_id']).where('job_instance_id', 'in', instanceIds).execute();
  const targets = executions.map((e) => `${e.job_name}#${e.id}`);
  const named = await db.selectFrom('audit_log').select('target').distinct().where('target', 'in', targets).where('action', 'in', PERSON_ACTIONS).execute();
  const namedTargets = new Set(named.map((row) => row.target));
  const kept = new Set(executions.filter((e) => namedTargets.has(`${e.job_name}#${e.id}`)).map((e) => Number(e.job_instance_id)));
  const trimmed = executions.filter((e) => kept.has(Number(e.job_instance_id))).map((e) => Number(e.id));
  const deleted = executions.filter((e) => !kept.has(Number(e.job_instance_id))).map((e) => Number(e.id));
  const lastKey = Number(current.at(-1)!.id);
  if (ctx.dryRun) return { lastKey, examined: executions.length, purged: { executionsDeleted: deleted.length, executionsTrimmed: trimmed.length } };
  ctx.checkLease();
  const purged = await db.transaction().execute(async (tx) => {
    const all = executions.map((e) => Number(e.id));
    await tx.deleteFrom('batch_step_skip').where('job_execution_id', 'in', all).execute();
    await tx.deleteFrom('batch_step_execution').where('job_execution_id', 'in', all).execute();
    await tx.deleteFrom('job_execution_history').where('execution_id', 'in', all).execute();
    const emptied =
      trimmed.length === 0
        ? 0
        : Number(
            (await tx.updateTable('batch_job_execution').set({ details_purged_at: sqlTimestampMillis(new Date()) }).where('id', 'in', trimmed).where('details_purged_at', 'is', null).executeTakeFirst())
              .numUpdatedRows,
          );
    const gone = deleted.length === 0 ? 0 : Number((await tx.deleteFrom('batch_job_execution').where('id', 'in', deleted).executeTakeFirst()).numDeletedRows);
    const emptyInstances = instanceIds.filter((id) => !kept.has(id));
    if (emptyInstances.length > 0) {
      await tx
        .deleteFrom('batch_job_instance')
        .where('id', 'in', emptyInstances)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('batch_job_execution as x').select('x.id').whereRef('x.job_instance_id', '=', 'batch_job_instance.id'))))
        .execute();
    }
    return { executionsDeleted: gone, executionsTrimmed: emptied };
  });
  return { lastKey, examined: executions.length, purged };
}

/** DELIVERED events delivered before the cutoff, by id on the `(status, id)` index; the delete repeats the condition. */
async function eventsChunk(db: Kysely<BatchDb>, ctx: TaskletContext, cutoff: Date, after: number, limit: number): Promise<Chunk | null> {
  const before = sqlTimestamp(cutoff);
  const rows = await db.selectFrom('event_outbox').select('id').where('status', '=', 'DELIVERED').where('id', '>', after).where('delivered_at', '<', before).orderBy('id').limit(limit).execute();
  if (rows.length === 0) return null;
  const ids = rows.map((row) => Number(row.id));
  const lastKey = ids.at(-1)!;
  if (ctx.dryRun) return { lastKey, examined: ids.length, purged: { outboxEventsDeleted: ids.length } };
  ctx.checkLease();
  const result = await db.deleteFrom('event_outbox').where('id', 'in', ids).where('status', '=', 'DELIVERED').where('delivered_at', '<', before).executeTakeFirst();
  return { lastKey, examined: ids.length, purged: { outboxEventsDeleted: Number(result.numDeletedRows) } };
}

/** Windows last opened before the cutoff, by key; one hit meanwhile (a new window) keeps its row. */
async function windowsChunk(db: Kysely<BatchDb>, ctx: TaskletContext, cutoff: Date, after: string, limit: number): Promise<Chunk | null> {
  const before = cutoff.getTime();
  const rows = await db.selectFrom('rate_limit_window').select('window_key').where('window_key', '>', after).where('window_start_ms', '<', before).orderBy('window_key').limit(limit).execute();
  if (rows.length === 0) return null;
  const keys = rows.map((row) => row.window_key);
  const lastKey = keys.at(-1)!;
  if (ctx.dryRun) return { lastKey, examined: keys.length, purged: { rateLimitWindowsDeleted: keys.length } };
  ctx.checkLease();
  const result = await db.deleteFrom('rate_limit_window').where('window_key', 'in', keys).where('window_start_ms', '<', before).executeTakeFirst();
  return { lastKey, examined: keys.length, purged: { rateLimitWindowsDeleted: Number(result.numDeletedRows) } };
}

/** Mails SENT before the cutoff, by id on the `(status, id)` index; the delete repeats the condition. */
async function mailsChunk(db: Kysely<BatchDb>, ctx: TaskletContext, cutoff: Date, after: number, limit: number): Promise<Chunk | null> {
  const before = sqlTimestamp(cutoff);
  const rows = await db.selectFrom('mail_outbox').select('id').where('status', '=', 'SENT').where('id', '>', after).where('sent_at', '<', before).orderBy('id').limit(limit).execute();
  if (rows.length === 0) return null;
  const ids = rows.map((row) => Number(row.id));
  const lastKey = ids.at(-1)!;
  if (ctx.dryRun) return { lastKey, examined: ids.length, purged: { outboxMailsDeleted: ids.length } };
  ctx.checkLease();
  const result = await db.deleteFrom('mail_outbox').where('id', 'in', ids).where('status', '=', 'SENT').where('sent_at', '<', before).executeTakeFirst();
  return { lastKey, examined: ids.length, purged: { outboxMailsDeleted: Number(result.numDeletedRows) } };
}
