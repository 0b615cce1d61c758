/**
 * batchdb history recorded at a chosen time, by the real engine: a JobOperator whose
 * repository's clock says `at`, so executions, steps, skips and history rows carry that
 * time as if they had run then. For the retention's tests (tokenCleanupJob's purge).
 */
import { randomUUID } from 'node:crypto';
import { JobOperator } from '../../src/engine/job-operator.js';
import { JobRepository } from '../../src/engine/job-repository.js';
import { keysetReader } from '../../src/engine/keyset-reader.js';
import type { JobDefinition } from '../../src/engine/types.js';
import type { Databases } from '../../src/db/databases.js';
import { sqlTimestampMillis } from '../../src/db/sql-time.js';
import { executionHistoryListener } from '../../src/history/execution-history.js';
import { silentLogger } from '../../src/observability/logger.js';

export const SAMPLE_JOB = 'retentionSampleJob';
export const DAY_MS = 86_400_000;

/** How the sample job behaves at its next run; tests flip these between launches. */
export interface SampleControl {
  /** `secondStep` throws: the run ends FAILED after `firstStep` completed. */
  failSecondStep: boolean;
  /** How many times `firstStep` ran (a restart must not run it again). */
  firstStepRuns: number;
}

/**
 * Two steps: a chunk step reading items 1–3 whose processor refuses item 2 (one skip
 * recorded), then a tasklet that fails on demand. Every run leaves step executions, a
 * skip and a history row: the details the retention removes.
 */
export function sampleJob(control: SampleControl, name = SAMPLE_JOB): JobDefinition {
  return {
    name,
    description: 'retention test job',
    steps: [
      {
        kind: 'chunk',
        name: 'firstStep',
        chunkSize: 10,
        reader: (ctx) => {
          control.firstStepRuns++;
          return keysetReader(ctx.restoredContext, { fetch: async (after) => [1, 2, 3].filter((n) => n > after), keyOf: (n: number) => n });
        },
        processor: (item: number) => {
          if (item === 2) throw new Error('item 2 is refused');
          return item;
        },
        writer: () => ({ write: async () => undefined }),
        skip: { limit: 10, skippable: () => true },
      },
      {
        kind: 'tasklet',
        name: 'secondStep',
        run: async (ctx) => {
          if (control.failSecondStep) throw new Error('second step told to fail');
          ctx.count({ read: 1, write: 1 });
        },
      },
    ],
    metrics: () => ({ itemsSeen: 3 }),
  };
}

/** An operator whose records all carry the instant `at()` returns (the history listener included). */
export function operatorAt(databases: Databases, at: () => Date, jobs: readonly JobDefinition[]): JobOperator {
  return new JobOperator(new JobRepository(databases.batch.db, at), jobs, {
    heartbeatIntervalMs: 50,
    heartbeatTimeoutMs: 10_000,
    checkpointIntervalMs: 0,
    clock: at,
    logger: silentLogger,
    listeners: [executionHistoryListener(databases.batch.db)],
    retryHooks: { sleep: async () => undefined },
  });
}

/** Outbox events: `status` and, for DELIVERED, `delivered_at` as given. */
export async function insertEvents(databases: Databases, events: readonly { status: 'PENDING' | 'DELIVERED' | 'FAILED'; at: Date }[]): Promise<void> {
  if (events.length === 0) return;
  await databases.batch.db
    .insertInto('event_outbox')
    .values(
      events.map((e) => ({
        event_id: randomUUID(),
        event_type: 'TEST_EVENT',
        topic: 'notifications',
        message_key: 'k',
        payload: '{}',
        status: e.status,
        attempts: e.status === 'PENDING' ? 0 : 1,
        last_error: e.status === 'FAILED' ? 'refused' : null,
        created_at: sqlTimestampMillis(e.at),
        delivered_at: e.status === 'DELIVERED' ? sqlTimestampMillis(e.at) : null,
      })),
    )
    .execute();
}

/** Failure mails of the mail outbox: `status` and, for SENT, `sent_at` as given. */
export async function insertMails(databases: Databases, mails: readonly { status: 'PENDING' | 'SENT'; at: Date }[]): Promise<void> {
  if (mails.length === 0) return;
  await databases.batch.db
    .insertInto('mail_outbox')
    .values(
      mails.map((m) => ({
        message_id: `<${randomUUID()}@test>`,
        kind: 'JOB_FAILURE',
        recipients: '["tech@example.org"]',
        subject: 'Échec',
        body: 'Bonjour',
        status: m.status,
        attempts: m.status === 'SENT' ? 1 : 0,
        last_error: null,
        claimed_by: null,
        claimed_until: null,
        created_at: sqlTimestampMillis(m.at),
        sent_at: m.status === 'SENT' ? sqlTimestampMillis(m.at) : null,
      })),
    )
    .execute();
}

/** Rate-limit windows opened at the given instants. */
export async function insertWindows(databases: Databases, openedAt: readonly Date[]): Promise<void> {
  if (openedAt.length === 0) return;
  await databases.batch.db
    .insertInto('rate_limit_window')
    .values(openedAt.map((at) => ({ window_key: randomUUID().replaceAll('-', ''), window_start_ms: at.getTime(), hits: 1 })))
    .execute();
}

/**
 * What a purge must never break, whatever it did: every detail row belongs to an execution,
 * every execution to an instance, every instance has its current execution.
 */
export async function inconsistencies(databases: Databases): Promise<string[]> {
  const db = databases.batch.db;
  const problems: string[] = [];
  const executions = new Set((await db.selectFrom('batch_job_execution').select('id').execute()).map((r) => Number(r.id)));
  const instances = await db.selectFrom('batch_job_instance').select(['id', 'current_execution_id']).execute();
  const instanceIds = new Set(instances.map((r) => Number(r.id)));
  for (const row of await db.selectFrom('batch_step_execution').select(['id', 'job_execution_id']).execute()) {
    if (!executions.has(Number(row.job_execution_id))) problems.push(`step execution ${row.id} of missing execution ${row.job_execution_id}`);
  }
  for (const row of await db.selectFrom('batch_step_skip').select(['id', 'job_execution_id']).execute()) {
    if (!executions.has(Number(row.job_execution_id))) problems.push(`skip ${row.id} of missing execution ${row.job_execution_id}`);
  }
  for (const row of await db.selectFrom('job_execution_history').select(['id', 'execution_id']).execute()) {
    if (!executions.has(Number(row.execution_id))) problems.push(`history row ${row.id} of missing execution ${row.execution_id}`);
  }
  for (const row of await db.selectFrom('batch_job_execution').select(['id', 'job_instance_id']).execute()) {
    if (!instanceIds.has(Number(row.job_instance_id))) problems.push(`execution ${row.id} of missing instance ${row.job_instance_id}`);
  }
  for (const row of instances) {
    if (row.current_execution_id === null || !executions.has(Number(row.current_execution_id))) problems.push(`instance ${row.id} without its current execution ${row.current_execution_id}`);
  }
  return problems;
}

/** Rows per table of what the purge touches, to compare a dry run's "before" and "after". */
export async function rowCounts(databases: Databases): Promise<Record<string, number>> {
  const tables = ['batch_job_instance', 'batch_job_execution', 'batch_step_execution', 'batch_step_skip', 'job_execution_history', 'event_outbox', 'rate_limit_window', 'mail_outbox', 'audit_log'] as const;
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const row = await databases.batch.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}
