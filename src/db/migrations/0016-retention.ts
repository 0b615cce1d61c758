/**
 * Retention (issue 22, item 9): what lets tokenCleanupJob purge old history without
 * losing what must outlive it.
 *
 * - `batch_job_execution.details_purged_at`: set when an execution a person acted on
 *   (its instance named by a JOB_RUN, JOB_STOP or JOB_RESTART audit entry) lost its steps,
 *   skips and history row to the retention and kept its own row, the summary the API
 *   and the console show. NULL otherwise.
 * - Indexes: `(status, id)` and `(job_name, status, id)` on executions, for the listings
 *   filtered by status (newest first, with their count) and for the purge, which walks
 *   COMPLETED executions by id; `audit_log (target)`, for the purge's question "did a
 *   person act on these executions?" (an index adds no row: the append-only triggers
 *   refuse UPDATE and DELETE only).
 * - `batch_job_summary`: per job and final status, the executions ever ended (real runs,
 *   not dry ones) and the newest one's end, duration and metrics, kept up to date in the
 *   transaction that records each end. Prometheus reads it instead of grouping over every
 *   execution at each scrape, and its counts are cumulative: a purge does not lower them.
 *   Back-filled here from the executions recorded so far.
 * - `batch_job_run_sequence`: per job, the last `run.id` drawn (the identifying parameter
 *   that makes a launch without parameters, or a dry run, a new instance). It was
 *   `count(instances) + 1`, which gives a number already used once instances are purged.
 *   Back-filled with the largest numeric `run.id` recorded so far.
 *
 * Safe to run again after a failure part-way (MariaDB's DDL is not transactional): the
 * column comes first, tables and indexes are created only when missing, and each
 * back-fill only fills an empty table.
 */
import { sql, type Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';
import { parseSqlTimestamp } from '../sql-time.js';

const ENDED = ['COMPLETED', 'FAILED', 'STOPPED'];

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  if (!(await hasColumn(db, 'batch_job_execution', 'details_purged_at'))) {
    await db.schema.alterTable('batch_job_execution').addColumn('details_purged_at', t.timestamp).execute();
  }
  await db.schema.createIndex('ix_job_execution_status').ifNotExists().on('batch_job_execution').columns(['status', 'id']).execute();
  await db.schema.createIndex('ix_job_execution_name_status').ifNotExists().on('batch_job_execution').columns(['job_name', 'status', 'id']).execute();
  await db.schema.createIndex('ix_audit_log_target').ifNotExists().on('audit_log').column('target').execute();

  await db.schema
    .createTable('batch_job_summary')
    .ifNotExists()
    .addColumn('job_name', t.varchar(100), (c) => c.notNull())
    .addColumn('status', t.varchar(20), (c) => c.notNull())
    .addColumn('executions', t.bigint, (c) => c.notNull())
    .addColumn('last_execution_id', t.bigint)
    .addColumn('last_end_time', t.timestamp)
    .addColumn('last_duration_ms', t.bigint)
    .addColumn('last_metrics', t.text)
    .addPrimaryKeyConstraint('pk_job_summary', ['job_name', 'status'])
    .execute();
  await backFillSummary(db);

  await db.schema
    .createTable('batch_job_run_sequence')
    .ifNotExists()
    .addColumn('job_name', t.varchar(100), (c) => c.primaryKey())
    .addColumn('last_run_id', t.bigint, (c) => c.notNull())
    .execute();
  await backFillRunSequence(db);
}

async function hasColumn(db: Kysely<unknown>, table: string, column: string): Promise<boolean> {
  const tables = await db.introspection.getTables();
  return tables.some((t) => t.name === table && t.columns.some((c) => c.name === column));
}

async function isEmpty(db: Kysely<unknown>, table: 'batch_job_summary' | 'batch_job_run_sequence'): Promise<boolean> {
  const { rows } = await sql<{ n: number | bigint }>`SELECT COUNT(*) AS n FROM ${sql.table(table)}`.execute(db);
  return Number(rows[0]?.n ?? 0) === 0;
}

/** One row per job and final status of the real runs so far, with the newest one's end. */
async function backFillSummary(db: Kysely<unknown>): Promise<void> {
  if (!(await isEmpty(db, 'batch_job_summary'))) return;
  const groups = await sql<{ job_name: string; status: string; n: number | bigint; last_id: number | bigint }>`
    SELECT job_name, status, COUNT(*) AS n, MAX(id) AS last_id FROM batch_job_execution
    WHERE dry_run = 0 AND status IN (${sql.join(ENDED)}) GROUP BY job_name, status`.execute(db);
  for (const group of groups.rows) {
    const { rows } = await sql<{ start_time: string | null; created_at: string; end_time: string | null; metrics: string }>`
      SELECT start_time, created_at, end_time, metrics FROM batch_job_execution WHERE id = ${group.last_id}`.execute(db);
    const last = rows[0]!;
    const start = parseSqlTimestamp(String(last.start_time ?? last.created_at));
    const end = last.end_time === null ? null : parseSqlTimestamp(String(last.end_time));
    await sql`INSERT INTO batch_job_summary (job_name, status, executions, last_execution_id, last_end_time, last_duration_ms, last_metrics)
              VALUES (${group.job_name}, ${group.status}, ${Number(group.n)}, ${Number(group.last_id)}, ${last.end_time},
                      ${end === null ? null : Math.max(0, end.getTime() - start.getTime())}, ${last.metrics})`.execute(db);
  }
}

/** Per job, the largest numeric `run.id` of its instances: every one drawn so far is still there. */
async function backFillRunSequence(db: Kysely<unknown>): Promise<void> {
  if (!(await isEmpty(db, 'batch_job_run_sequence'))) return;
  const instances = await sql<{ job_name: string; identifying_parameters: string }>`
    SELECT job_name, identifying_parameters FROM batch_job_instance WHERE identifying_parameters LIKE ${'%"run.id"%'}`.execute(db);
  const last = new Map<string, number>();
  for (const row of instances.rows) {
    const value = (JSON.parse(row.identifying_parameters) as Record<string, unknown>)['run.id'];
    const runId = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : 0;
    last.set(row.job_name, Math.max(last.get(row.job_name) ?? 0, runId));
  }
  for (const [jobName, runId] of last) {
    await sql`INSERT INTO batch_job_run_sequence (job_name, last_run_id) VALUES (${jobName}, ${runId})`.execute(db);
  }
}
