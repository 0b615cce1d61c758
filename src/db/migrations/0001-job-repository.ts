/**
 * The job repository (9.8), modelled on Spring Batch's metadata schema: instances,
 * executions with their parameters and context, step executions with counts, and the
 * items each step skipped. Immutable once landed: change the schema in a new migration.
 */
import type { Kysely } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('batch_job_instance')
    .addColumn('id', t.id, t.autoId)
    .addColumn('job_name', t.varchar(100), (c) => c.notNull())
    .addColumn('job_key', t.varchar(64), (c) => c.notNull())
    .addColumn('identifying_parameters', t.text, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('uq_job_instance_key', ['job_name', 'job_key'])
    .execute();

  await db.schema
    .createTable('batch_job_execution')
    .addColumn('id', t.id, t.autoId)
    .addColumn('job_instance_id', t.bigint, (c) => c.notNull())
    .addColumn('job_name', t.varchar(100), (c) => c.notNull())
    .addColumn('status', t.varchar(20), (c) => c.notNull())
    .addColumn('exit_code', t.varchar(40), (c) => c.notNull())
    .addColumn('exit_message', t.text)
    .addColumn('parameters', t.text, (c) => c.notNull())
    .addColumn('execution_context', t.text, (c) => c.notNull())
    .addColumn('metrics', t.text, (c) => c.notNull())
    .addColumn('dry_run', t.bool, (c) => c.notNull().defaultTo(t.defaultFalse))
    .addColumn('trigger_type', t.varchar(20), (c) => c.notNull())
    .addColumn('triggered_by', t.varchar(255))
    .addColumn('restart_of', t.bigint)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('start_time', t.timestamp)
    .addColumn('end_time', t.timestamp)
    .addColumn('last_updated', t.timestamp, (c) => c.notNull())
    .addColumn('heartbeat_at', t.timestamp, (c) => c.notNull())
    // Set to the job name while the execution is STARTED or STOPPING, NULL otherwise:
    // the unique constraint lets the database, not a process, allow one run per job.
    .addColumn('running_job', t.varchar(100), (c) => c.unique())
    .addColumn('host', t.varchar(255), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_job_execution_instance').on('batch_job_execution').column('job_instance_id').execute();
  await db.schema.createIndex('ix_job_execution_name').on('batch_job_execution').columns(['job_name', 'id']).execute();

  await db.schema
    .createTable('batch_step_execution')
    .addColumn('id', t.id, t.autoId)
    .addColumn('job_execution_id', t.bigint, (c) => c.notNull())
    .addColumn('step_name', t.varchar(100), (c) => c.notNull())
    .addColumn('status', t.varchar(20), (c) => c.notNull())
    .addColumn('exit_code', t.varchar(40), (c) => c.notNull())
    .addColumn('exit_message', t.text)
    .addColumn('read_count', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('write_count', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('filter_count', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('read_skip_count', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('process_skip_count', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('write_skip_count', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('commit_count', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('rollback_count', t.bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('execution_context', t.text, (c) => c.notNull())
    .addColumn('start_time', t.timestamp, (c) => c.notNull())
    .addColumn('end_time', t.timestamp)
    .addColumn('last_updated', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_step_execution_job').on('batch_step_execution').column('job_execution_id').execute();

  await db.schema
    .createTable('batch_step_skip')
    .addColumn('id', t.id, t.autoId)
    .addColumn('job_execution_id', t.bigint, (c) => c.notNull())
    .addColumn('step_execution_id', t.bigint, (c) => c.notNull())
    .addColumn('step_name', t.varchar(100), (c) => c.notNull())
    .addColumn('phase', t.varchar(10), (c) => c.notNull())
    .addColumn('item', t.text, (c) => c.notNull())
    .addColumn('reason', t.text, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_step_skip_execution').on('batch_step_skip').column('job_execution_id').execute();
}
