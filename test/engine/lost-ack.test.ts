/**
 * Issue 23, item 2: every write of the run protocol — the launch too — retried after a lost acknowledgement
 * lands once, with the outcome of a run that lost nothing. The fault is injected at the
 * driver (test/support/lost-ack.ts): the statement — or the transaction it is part of —
 * commits, the caller sees ECONNRESET and retries. Each case also checks that its fault
 * fired, so a case whose statement never ran cannot pass by default.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobOperator } from '../../src/engine/job-operator.js';
import { JobRepository } from '../../src/engine/job-repository.js';
import type { JobDefinition } from '../../src/engine/types.js';
import { executionHistoryListener } from '../../src/history/execution-history.js';
import { createMailer } from '../../src/mail/mailer.js';
import { jobFailureNotifier } from '../../src/notifications/job-failure-notifier.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../support/databases.js';
import { openWithLostAcks, type LostAcks } from '../support/lost-ack.js';
import { createItems, itemsStep } from './harness.js';

/** The statement of each protocol write, as both engines spell it (` or " around names). */
const WRITES: readonly [string, RegExp][] = [
  ['launch', /^insert into .batch_job_execution./i],
  ['createStepExecution', /^insert into .batch_step_execution./i],
  ['recordSkip', /^insert into .batch_step_skip./i],
  ['saveStepProgress (checkpoint)', /^update .batch_step_execution. set (?:(?!exit_code).)*$/is],
  ['finishStep', /^update .batch_step_execution. set .*exit_code/is],
  ['job context (in the step end’s transaction)', /^update .batch_job_execution. set .execution_context. = \?, .last_updated. = \? where/i],
  ['finishExecution', /^update .batch_job_execution. set .status. = \?, .exit_code./i],
];

describe.each(dialects)('a lost acknowledgement at each protocol write (%s)', (dialect) => {
  let env: TestEnvironment;
  let lost: LostAcks | undefined;
  afterEach(async () => {
    await lost?.close();
    await env?.cleanup();
  });

  const setUp = async (failLast: boolean) => {
    env = await createTestEnvironment(dialect, { TECH_ADMIN_EMAILS: 'tech@univ-exemple.fr' });
    const items = await createItems(env.databases, 30);
    lost = openWithLostAcks(env);
    const process = (id: number) => {
      if (id === 5) throw new Error('item 5 is malformed');
      return id;
    };
    const job: JobDefinition = {
      name: 'itemsJob',
      description: 'engine test job',
      steps: [
        itemsStep(items, 'itemsStep', 10, { process }, { skip: { limit: 3 } }),
        {
          kind: 'tasklet',
          name: 'lastStep',
          run: async () => {
            if (failLast) throw new Error('the last step failed');
          },
        },
      ],
    };
    const mailer = createMailer({ from: 'batch@univ-exemple.fr', mailDir: path.join(env.dataDir, 'mail') }, silentLogger);
    const operator = new JobOperator(new JobRepository(lost.db), [job], {
      heartbeatIntervalMs: 50,
      heartbeatTimeoutMs: 10_000,
      checkpointIntervalMs: 0,
      logger: silentLogger,
      listeners: [
        executionHistoryListener(lost.db),
        jobFailureNotifier({ db: lost.db, mailer, topic: 'batch-events', techAdmins: ['tech@univ-exemple.fr'], logger: silentLogger }),
      ],
      retryHooks: { sleep: async () => undefined },
    });
    return { operator, lost };
  };

  it.each(WRITES)('%s: lands once, the run ends as an undisturbed one', async (_write, statement) => {
    const { operator, lost } = await setUp(false);
    lost.loseNext(statement);
    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    expect(lost.lost, 'the fault fired').toHaveLength(1);
    expect([done.status, done.exitCode]).toEqual(['COMPLETED', 'COMPLETED']);

    const batch = env.databases.batch.db;
    const steps = await batch.selectFrom('batch_step_execution').select(['step_name', 'status', 'read_count', 'write_count', 'process_skip_count']).where('job_execution_id', '=', done.id).orderBy('id').execute();
    // One row per step, each closed: no STARTED row left behind by a retried start.
    expect(steps.map((s) => [s.step_name, s.status, Number(s.read_count), Number(s.write_count), Number(s.process_skip_count)])).toEqual([
      ['itemsStep', 'COMPLETED', 30, 29, 1],
      ['lastStep', 'COMPLETED', 0, 0, 0],
    ]);
    const skips = await batch.selectFrom('batch_step_skip').select(['item', 'reason']).where('job_execution_id', '=', done.id).execute();
    expect(skips).toEqual([{ item: '5', reason: 'item 5 is malformed' }]);
    const history = await batch.selectFrom('job_execution_history').select(['status', 'read_count', 'write_count', 'skip_count']).where('execution_id', '=', done.id).execute();
    expect(history.map((h) => [h.status, Number(h.read_count), Number(h.write_count), Number(h.skip_count)])).toEqual([['COMPLETED', 30, 29, 1]]);
    const execution = await batch.selectFrom('batch_job_execution').select(['status', 'running_job']).where('id', '=', done.id).executeTakeFirstOrThrow();
    expect(execution).toEqual({ status: 'COMPLETED', running_job: null });
    const summary = await batch.selectFrom('batch_job_summary').select(['status', 'executions']).where('job_name', '=', 'itemsJob').execute();
    expect(summary.map((s) => [s.status, Number(s.executions)])).toEqual([['COMPLETED', 1]]);
  });

  it('finishExecution of a failed run: one end, one failure event, one mail', async () => {
    const { operator, lost } = await setUp(true);
    lost.loseNext(WRITES.find(([name]) => name === 'finishExecution')![1]);
    const done = await (await operator.start('itemsJob', { trigger: 'CLI' })).done;
    await operator.settled();
    expect(lost.lost, 'the fault fired').toHaveLength(1);
    // Not LEASE_LOST: the retry found the end its first attempt committed.
    expect([done.status, done.exitCode]).toEqual(['FAILED', 'FAILED']);
    expect(done.exitMessage).toBe('lastStep failed: the last step failed');
    const batch = env.databases.batch.db;
    const events = await batch.selectFrom('event_outbox').select(['event_type', 'payload']).execute();
    expect(events.map((e) => [e.event_type, (JSON.parse(e.payload) as { executionId: number }).executionId])).toEqual([['JOB_FAILURE', done.id]]);
    const mails = await batch.selectFrom('mail_outbox').select(['subject', 'status']).execute();
    expect(mails).toEqual([{ subject: `[batch-service] Échec de la tâche « itemsJob » (exécution n° ${done.id})`, status: 'SENT' }]);
    const history = await batch.selectFrom('job_execution_history').select('status').where('execution_id', '=', done.id).execute();
    expect(history).toEqual([{ status: 'FAILED' }]);
  });
});
