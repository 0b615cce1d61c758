/**
 * A migration that creates triggers, run again after it failed part-way. On MariaDB with
 * binary logging and no `log_bin_trust_function_creators`, CREATE TRIGGER is refused after
 * the table was created; DDL is not transactional, so the table stays, unrecorded. The
 * next attempt (once the variable is set) must keep what is there and create the rest,
 * not stop at "table already exists". Simulated here by putting batchdb back in that
 * state: the tables (with their rows), no triggers, migrations 0004 and 0006 unrecorded.
 */
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { migrateBatchDb } from '../../src/db/migrate.js';
import { tokenCleanupJob } from '../../src/jobs/tokenCleanupJob/token-cleanup-job.js';
import { AuditLog } from '../../src/security/audit-log.js';
import { operatorFor } from '../engine/harness.js';
import { dialects } from '../support/databases.js';
import { describe, expect, test } from '../support/fixtures.js';

const TRIGGERS = ['audit_log_no_update', 'audit_log_no_delete', 'batch_job_execution_insert_version', 'batch_job_execution_update_version', 'batch_job_execution_delete_version'];

describe.each(dialects)('trigger migrations run again after a failure part-way (%s)', (dialect) => {
  test.override({ dialect });

  test('keep the tables and their rows, and create the missing triggers', async ({ env }) => {
    const db = env.databases.batch.db;
    const audit = new AuditLog(db);
    await audit.append({ action: 'JOB_RUN', actor: 'alice', target: 'tokenCleanupJob#1' });
    const version = async () => Number((await db.selectFrom('batch_job_execution_version').select('version').where('id', '=', 1).executeTakeFirstOrThrow()).version);
    const versionBefore = await version();

    for (const trigger of TRIGGERS) await sql`DROP TRIGGER ${sql.raw(trigger)}`.execute(db);
    await sql`DELETE FROM kysely_migration WHERE name IN ('0004-audit-log', '0006-job-execution-version')`.execute(db);

    expect(await migrateBatchDb(env.databases.batch as DatabaseHandle<unknown>)).toEqual(['0004-audit-log', '0006-job-execution-version']);

    expect(await db.selectFrom('audit_log').select('actor').execute()).toEqual([{ actor: 'alice' }]);
    await expect(sql`UPDATE audit_log SET actor = 'mallory'`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log`.execute(db)).rejects.toThrow(/append-only/);
    expect((await audit.verify()).intact).toBe(true);
    // The version row kept its count, and the triggers advance it again.
    expect(await version()).toBe(versionBefore);
    const operator = operatorFor(env.databases, [tokenCleanupJob({ userDb: env.databases.user, batch: env.databases.batch, chunkSize: 100, retentionDays: 400 })]);
    expect((await (await operator.start('tokenCleanupJob', { trigger: 'CLI' })).done).status).toBe('COMPLETED');
    expect(await version()).toBeGreaterThan(versionBefore);
    expect(await db.selectFrom('batch_job_execution_version').select('id').execute()).toEqual([{ id: 1 }]);
  });
});
