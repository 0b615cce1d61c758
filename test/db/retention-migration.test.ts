/**
 * Migration 0016 (issue 22, item 9): the indexes the listings and the purge need, the
 * per-job summary and the run.id sequence, back-filled from what batchdb already holds.
 */
import { sql, type Kysely } from 'kysely';
import { columnTypes } from '../../src/db/column-types.js';
import { up } from '../../src/db/migrations/0016-retention.js';
import type { BatchDb } from '../../src/db/schema/batch-tables.js';
import { sqlTimestampMillis } from '../../src/db/sql-time.js';
import { operatorFor } from '../engine/harness.js';
import { sampleJob, type SampleControl } from '../support/batch-history.js';
import { dialects } from '../support/databases.js';
import { describe, expect, test } from '../support/fixtures.js';

const JOB = 'backFillSampleJob';

describe.each(dialects)('migration 0016-retention (%s)', (dialect) => {
  test.override({ dialect });

  test('back-fills the summary the run ends keep, and the run.id sequence from the instances', async ({ env }) => {
    const control: SampleControl = { failSecondStep: false, firstStepRuns: 0 };
    const operator = operatorFor(env.databases, [sampleJob(control, JOB)]);
    const run = async (fail: boolean, options: { dryRun?: boolean; parameters?: Record<string, string> } = {}) => {
      control.failSecondStep = fail;
      return (await (await operator.start(JOB, { trigger: 'CLI', ...options })).done).status;
    };
    expect([await run(false), await run(true), await run(false, { dryRun: true }), await run(false), await run(false, { parameters: { 'run.id': '41' } })]).toEqual([
      'COMPLETED', 'FAILED', 'COMPLETED', 'COMPLETED', 'COMPLETED',
    ]);
    const db = env.databases.batch.db;
    const summary = () => db.selectFrom('batch_job_summary').selectAll().where('job_name', '=', JOB).orderBy('status').execute();
    const kept = await summary();
    expect(kept.map((r) => [r.status, Number(r.executions)])).toEqual([['COMPLETED', 3], ['FAILED', 1]]);

    // As on a batchdb that existed before the migration: the two tables are made from the rows.
    await db.schema.dropTable('batch_job_summary').execute();
    await db.schema.dropTable('batch_job_run_sequence').execute();
    await up(db as unknown as Kysely<unknown>, columnTypes(dialect));

    expect(await summary()).toEqual(kept);
    // The largest run.id recorded, a hand-given one included, so a drawn one never meets it.
    const sequence = await db.selectFrom('batch_job_run_sequence').selectAll().where('job_name', '=', JOB).executeTakeFirstOrThrow();
    expect(Number(sequence.last_run_id)).toBe(41);
    // Running it again (a retry after a failure part-way) changes nothing.
    await up(db as unknown as Kysely<unknown>, columnTypes(dialect));
    expect(await summary()).toEqual(kept);
  });

  test('lets the status listing and the purge walk executions by status on an index, newest first', async ({ env }) => {
    const db = env.databases.batch.db;
    await insertExecutions(db, 3_000);
    const listing = db.selectFrom('batch_job_execution').select(['id', 'job_name', 'status']).where('status', '=', 'FAILED').orderBy('id', 'desc').limit(20).compile();
    const byJob = db.selectFrom('batch_job_execution').select(['id', 'status']).where('job_name', '=', 'job1').where('status', '=', 'FAILED').orderBy('id', 'desc').limit(20).compile();
    const purge = db.selectFrom('batch_job_execution').select('id').where('status', '=', 'COMPLETED').where('id', '>', 0).orderBy('id').limit(100).compile();
    const named = db.selectFrom('audit_log').select('target').distinct().where('target', 'in', ['job1#7', 'job2#8']).where('action', 'in', ['JOB_RUN', 'JOB_STOP', 'JOB_RESTART']).compile();
    const plan = (query: { sql: string; parameters: readonly unknown[] }) => planOf(db, dialect, inline(query.sql, query.parameters));
    const index = (name: string) => (dialect === 'sqlite' ? new RegExp(`USING (COVERING )?INDEX ${name} `) : new RegExp(`^${name} `));
    expect(await plan(listing)).toMatch(index('ix_job_execution_status'));
    expect(await plan(byJob)).toMatch(index('ix_job_execution_name_status'));
    // The purge asks whether a person acted on a chunk's executions: by target, not a scan of the log.
    expect(await plan(named)).toMatch(index('ix_audit_log_target'));
    // Read in index order (the purge's walk too, on this index or the primary key): no sort.
    for (const query of [listing, byJob, purge]) expect(await plan(query)).not.toMatch(/TEMP B-TREE|filesort/);
  });
});

/** The plan of a statement: SQLite's details, or MariaDB's key and Extra per table. */
async function planOf(db: Kysely<BatchDb>, dialect: string, statement: string): Promise<string> {
  if (dialect === 'sqlite') {
    const { rows } = await sql.raw<{ detail: string }>(`EXPLAIN QUERY PLAN ${statement}`).execute(db);
    return rows.map((r) => r.detail).join('; ');
  }
  const { rows } = await sql.raw<{ key: string | null; Extra: string | null }>(`EXPLAIN ${statement}`).execute(db);
  return rows.map((r) => `${r.key} ${r.Extra}`).join('; ');
}

/** The statement with its parameters written in (EXPLAIN of a prepared statement is not portable). */
function inline(statement: string, parameters: readonly unknown[]): string {
  let i = 0;
  return statement.replace(/\?/g, () => {
    const p = parameters[i++];
    return typeof p === 'string' ? `'${p}'` : String(p);
  });
}

/** Executions of ten jobs, one in ten FAILED, the rest COMPLETED, and as many audit entries, inserted in bulk. */
async function insertExecutions(db: Kysely<BatchDb>, count: number): Promise<void> {
  const at = sqlTimestampMillis(new Date('2026-01-01T00:00:00Z'));
  for (let start = 0; start < count; start += 500) {
    const rows = Array.from({ length: Math.min(500, count - start) }, (_, k) => {
      const n = start + k;
      return {
        job_instance_id: n + 1,
        job_name: `job${n % 10}`,
        status: n % 10 === 3 ? 'FAILED' : 'COMPLETED',
        exit_code: 'COMPLETED',
        exit_message: null,
        parameters: '{}',
        execution_context: '{}',
        metrics: '{}',
        dry_run: 0,
        trigger_type: 'CLI',
        triggered_by: null,
        restart_of: null,
        created_at: at,
        start_time: at,
        end_time: at,
        last_updated: at,
        heartbeat_at: at,
        running_job: null,
        host: 'test',
        owner: null,
      };
    });
    await db.insertInto('batch_job_execution').values(rows).execute();
  }
  const entries = Array.from({ length: count }, (_, n) => ({
    occurred_at: at,
    action: n % 2 === 0 ? 'JOB_EXECUTION_END' : 'JOB_RUN',
    actor: null,
    client_address: null,
    target: `job${n % 10}#${n + 1}`,
    details: '{}',
    prev_hash: `p${n}`,
    hash: `h${n}`,
  }));
  for (let start = 0; start < count; start += 500) await db.insertInto('audit_log').values(entries.slice(start, start + 500)).execute();
  await sql`ANALYZE TABLE batch_job_execution, audit_log`.execute(db).catch(() => sql`ANALYZE`.execute(db));
}
