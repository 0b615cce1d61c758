/** Jobs and executions over HTTP (6.2–6.7): list, run, pagination, stop and restart of a real running job, 429. */
import { openDatabase } from '../../src/db/connect.js';
import type { BatchDb } from '../../src/db/schema/batch-tables.js';
import { createItems, itemsJob, itemsStep } from '../engine/harness.js';
import { dialects } from '../support/databases.js';
import { describe, expect, test } from '../support/fixtures.js';
import { awaitEnd, gate } from './api-harness.js';

interface Launched {
  executionId: number;
  jobName: string;
  status: string;
  startTime: string;
  parameters: Record<string, string>;
  restartOf: number | null;
}
interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}

async function problem(response: Response): Promise<Problem> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as Problem;
}

describe.each(dialects)('jobs API (%s)', (dialect) => {
  test.override({ dialect });

  test('lists every job with its schedule, next fire time and last execution, and the schedules', async ({ startApi }) => {
    const api = await startApi({ env: { BATCH_TIMEZONE: 'Europe/Paris', TOKEN_CLEANUP_CRON: '0 30 4 * * ?' } });
    const jobs = (await (await api.call('/api/batch/jobs')).json()) as Record<string, unknown>[];
    expect(jobs).toEqual([
      expect.objectContaining({ name: 'tokenCleanupJob', cron: '0 30 4 * * ?', timeZone: 'Europe/Paris', running: false, lastExecution: null }),
      expect.objectContaining({ name: 'dureeDoctoratAlertJob', cron: '0 0 8 ? * MON', running: false, lastExecution: null }),
      expect.objectContaining({ name: 'monthlyReportJob', cron: '0 0 9 1 * ?', running: false, lastExecution: null }),
      expect.objectContaining({ name: 'archiveJob', cron: '0 0 3 1 1,4,7,10 ?', running: false, lastExecution: null }),
      expect.objectContaining({ name: 'dataConsistencyJob', cron: '0 0 23 * * ?', running: false, lastExecution: null }),
    ]);
    const next = new Date(jobs[0]!.nextFireTime as string);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' }).format(next)).toBe('04:30');

    const schedules = (await (await api.call('/api/batch/jobs/schedules')).json()) as Record<string, unknown>[];
    expect(schedules).toEqual([
      { jobName: 'tokenCleanupJob', cron: '0 30 4 * * ?', timeZone: 'Europe/Paris', nextFireTime: next.toISOString() },
      { jobName: 'dureeDoctoratAlertJob', cron: '0 0 8 ? * MON', timeZone: 'Europe/Paris', nextFireTime: jobs[1]!.nextFireTime },
      { jobName: 'monthlyReportJob', cron: '0 0 9 1 * ?', timeZone: 'Europe/Paris', nextFireTime: jobs[2]!.nextFireTime },
      { jobName: 'archiveJob', cron: '0 0 3 1 1,4,7,10 ?', timeZone: 'Europe/Paris', nextFireTime: jobs[3]!.nextFireTime },
      { jobName: 'dataConsistencyJob', cron: '0 0 23 * * ?', timeZone: 'Europe/Paris', nextFireTime: jobs[4]!.nextFireTime },
    ]);

    const launched = (await (await api.call('/api/batch/jobs/tokenCleanupJob/run', { method: 'POST' })).json()) as Launched;
    await awaitEnd(api, launched.executionId);
    const after = (await (await api.call('/api/batch/jobs')).json()) as { lastExecution: { id: number; status: string; trigger: string; triggeredBy: string } }[];
    expect(after[0]?.lastExecution).toMatchObject({ id: launched.executionId, status: 'COMPLETED', trigger: 'MANUAL', triggeredBy: 'alice' });
  });

  test('the job list shows a change made through another connection at once, and moves on when a schedule fires', async ({ startApi }) => {
    // Fires every second; the scheduler is off, so only the clock moves the next fire time.
    const api = await startApi({ env: { TOKEN_CLEANUP_CRON: '* * * * * ?' } });
    type Listed = { nextFireTime: string; lastExecution: { id: number; exitMessage: string | null } | null }[];
    const list = async () => (await (await api.call('/api/batch/jobs')).json()) as Listed;
    const launched = (await (await api.call('/api/batch/jobs/tokenCleanupJob/run', { method: 'POST' })).json()) as Launched;
    await awaitEnd(api, launched.executionId);
    const before = await list();
    expect(before[0]?.lastExecution).toMatchObject({ id: launched.executionId, exitMessage: null });

    // Another process (a replica, the CLI) is another connection: nothing in this one sees the write.
    const elsewhere = openDatabase<BatchDb>(api.env.config.databases.batch, api.env.config.pool);
    try {
      await elsewhere.db.updateTable('batch_job_execution').set({ exit_message: 'changed elsewhere' }).where('id', '=', launched.executionId).execute();
    } finally {
      await elsewhere.close();
    }
    const after = await list();
    expect(after[0]?.lastExecution).toMatchObject({ id: launched.executionId, exitMessage: 'changed elsewhere' });

    await new Promise((resolve) => setTimeout(resolve, Date.parse(after[0]!.nextFireTime) - Date.now() + 50));
    const later = await list();
    expect(Date.parse(later[0]!.nextFireTime)).toBeGreaterThan(Date.parse(after[0]!.nextFireTime));
    expect(Date.parse(later[0]!.nextFireTime)).toBeGreaterThan(Date.now());
  });

  test('run answers 202 at once, 404 for an unknown job, 409 while the job runs, 400 for bad parameters; stop and restart finish it', async ({ startApi }) => {
    const release = gate();
    const api = await startApi({
      env: { RATE_LIMIT_RUN_PER_MINUTE: '100' },
      jobs: async (env) => {
        const db = await createItems(env.databases, 6);
        return [itemsJob(db, [itemsStep(db, 'itemsStep', 2, { beforeWrite: (call) => (call === 1 ? release.wait : undefined) })], 'gatedJob')];
      },
    });
    try {
      const response = await api.call('/api/batch/jobs/gatedJob/run', { method: 'POST', body: JSON.stringify({ parameters: { runAt: '2026-03-01T00:00:00Z' } }) });
      expect(response.status).toBe(202);
      const launched = (await response.json()) as Launched;
      expect(launched).toMatchObject({ jobName: 'gatedJob', status: 'STARTED', parameters: { runAt: '2026-03-01T00:00:00.000Z' }, restartOf: null });
      expect(response.headers.get('location')).toBe(`/api/batch/jobs/executions/${launched.executionId}`);

      const listed = (await (await api.call('/api/batch/jobs')).json()) as { running: boolean; runningExecutionId: number }[];
      expect(listed[0]).toMatchObject({ running: true, runningExecutionId: launched.executionId });

      const busy = await api.call('/api/batch/jobs/gatedJob/run', { method: 'POST' });
      expect(busy.status).toBe(409);
      expect((await problem(busy)).detail).toMatch(new RegExp(`gatedJob is already running \\(execution ${launched.executionId}\\)`));

      const unknown = await api.call('/api/batch/jobs/noSuchJob/run', { method: 'POST' });
      expect(unknown.status).toBe(404);
      expect((await problem(unknown)).detail).toMatch(/unknown job "noSuchJob"; known jobs: gatedJob/);

      for (const body of [{ parameters: { runAt: 'yesterday' } }, { unknownField: true }, { parameters: { runAt: 5 } }]) {
        const bad = await api.call('/api/batch/jobs/gatedJob/run', { method: 'POST', body: JSON.stringify(body) });
        expect(bad.status).toBe(400);
        expect((await problem(bad)).detail).not.toBe('');
      }

      const stop = await api.call(`/api/batch/jobs/executions/${launched.executionId}/stop`, { method: 'POST' });
      expect(stop.status).toBe(202);
      expect(await stop.json()).toEqual({ executionId: launched.executionId, jobName: 'gatedJob', status: 'STOPPING' });
      release.open();
      const stopped = await awaitEnd(api, launched.executionId);
      expect(stopped.status).toBe('STOPPED');

      const stopAgain = await api.call(`/api/batch/jobs/executions/${launched.executionId}/stop`, { method: 'POST' });
      expect(stopAgain.status).toBe(409);

      const restart = await api.call(`/api/batch/jobs/executions/${launched.executionId}/restart`, { method: 'POST' });
      expect(restart.status).toBe(202);
      const restarted = (await restart.json()) as Launched;
      expect(restarted).toMatchObject({ jobName: 'gatedJob', restartOf: launched.executionId, parameters: { runAt: '2026-03-01T00:00:00.000Z' } });
      const done = (await awaitEnd(api, restarted.executionId)) as { status: string; steps: { name: string; read: number; write: number; commit: number }[] };
      expect(done.status).toBe('COMPLETED');
      expect(done.steps).toEqual([expect.objectContaining({ name: 'itemsStep', read: 6, write: 6, commit: 3 })]);

      const again = await api.call(`/api/batch/jobs/executions/${launched.executionId}/restart`, { method: 'POST' });
      expect(again.status).toBe(409);
      // The stopped execution names the one that superseded it, in its detail and in both listings
      // (issue 24, item 3: the console links to it and offers no « Relancer » on the old one).
      const superseded = (await (await api.call(`/api/batch/jobs/executions/${launched.executionId}`)).json()) as { supersededBy: number | null };
      expect(superseded.supersededBy).toBe(restarted.executionId);
      expect(((await (await api.call(`/api/batch/jobs/executions/${restarted.executionId}`)).json()) as { supersededBy: number | null }).supersededBy).toBeNull();
      for (const listing of ['/api/batch/jobs/gatedJob/executions', '/api/batch/jobs/executions?job=gatedJob']) {
        const items = ((await (await api.call(listing)).json()) as { items: { id: number; supersededBy: number | null }[] }).items;
        expect(items.map((e) => [e.id, e.supersededBy]), listing).toEqual([
          [restarted.executionId, null],
          [launched.executionId, restarted.executionId],
        ]);
      }
      const completedInstance = await api.call('/api/batch/jobs/gatedJob/run', { method: 'POST', body: JSON.stringify({ parameters: { runAt: '2026-03-01T00:00:00Z' } }) });
      expect(completedInstance.status).toBe(409);
      expect((await problem(completedInstance)).detail).toMatch(/already completed/);

      expect((await api.call('/api/batch/jobs/executions/999999/stop', { method: 'POST' })).status).toBe(404);
      expect((await api.call('/api/batch/jobs/executions/999999/restart', { method: 'POST' })).status).toBe(404);
      expect((await api.call('/api/batch/jobs/executions/999999')).status).toBe(404);
      expect((await api.call('/api/batch/jobs/executions/abc')).status).toBe(400);

      const audit = (await (await api.call('/api/batch/audit?size=100')).json()) as { items: { action: string; actor: string | null; target: string; clientAddress: string | null; details: Record<string, unknown> }[] };
      const byAction = (action: string) => audit.items.filter((e) => e.action === action);
      expect(byAction('JOB_RUN')).toEqual([
        expect.objectContaining({ actor: 'alice', target: `gatedJob#${launched.executionId}`, clientAddress: '127.0.0.1', details: { dryRun: false, parameters: { runAt: '2026-03-01T00:00:00Z' } } }),
      ]);
      expect(byAction('JOB_STOP')).toEqual([expect.objectContaining({ actor: 'alice', target: `gatedJob#${launched.executionId}`, clientAddress: '127.0.0.1' })]);
      expect(byAction('JOB_RESTART')).toEqual([
        expect.objectContaining({ actor: 'alice', target: `gatedJob#${restarted.executionId}`, details: expect.objectContaining({ restartOf: launched.executionId }) }),
      ]);
      expect(byAction('JOB_EXECUTION_END').map((e) => [e.target, e.details.status])).toEqual([
        [`gatedJob#${restarted.executionId}`, 'COMPLETED'],
        [`gatedJob#${launched.executionId}`, 'STOPPED'],
      ]);
    } finally {
      release.open();
    }
  });

  test('pages executions newest first with the total, and shows one execution with its steps and metrics', async ({ startApi }) => {
    const api = await startApi();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const launched = (await (await api.call('/api/batch/jobs/tokenCleanupJob/run', { method: 'POST', body: JSON.stringify({ dryRun: i === 0 }) })).json()) as Launched;
      await awaitEnd(api, launched.executionId);
      ids.push(launched.executionId);
    }
    const page = async (query: string) => (await (await api.call(`/api/batch/jobs/tokenCleanupJob/executions${query}`)).json()) as { page: number; size: number; total: number; items: { id: number }[] };
    expect(await page('?page=0&size=2')).toMatchObject({ page: 0, size: 2, total: 5, items: [{ id: ids[4] }, { id: ids[3] }] });
    expect((await page('?page=2&size=2')).items.map((e) => e.id)).toEqual([ids[0]]);
    expect((await page('?page=3&size=2')).items).toEqual([]);
    expect((await page('')).items).toHaveLength(5);
    expect((await api.call('/api/batch/jobs/tokenCleanupJob/executions?size=0')).status).toBe(400);
    expect((await api.call('/api/batch/jobs/tokenCleanupJob/executions?size=101')).status).toBe(400);
    expect((await api.call('/api/batch/jobs/tokenCleanupJob/executions?page=-1')).status).toBe(400);
    expect((await api.call('/api/batch/jobs/noSuchJob/executions')).status).toBe(404);

    const detail = (await (await api.call(`/api/batch/jobs/executions/${ids[0]}`)).json()) as Record<string, unknown>;
    expect(detail).toMatchObject({
      id: ids[0],
      jobName: 'tokenCleanupJob',
      status: 'COMPLETED',
      exitMessage: null,
      dryRun: true,
      trigger: 'MANUAL',
      metrics: { dryRun: { totalDeleted: 0 } },
      steps: [
        expect.objectContaining({ name: 'cleanupRefreshTokensStep', read: 0, write: 0, wouldWrite: 0, filter: 0, skip: 0, commit: expect.any(Number), rollback: 0 }),
        expect.objectContaining({ name: 'cleanupPasswordResetTokensStep' }),
        expect.objectContaining({ name: 'purgeBatchHistoryStep' }),
      ],
    });
    expect(detail.startTime).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));

    const stats = (await (await api.call('/api/batch/jobs/stats')).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({
      totalExecutions: 5,
      byStatus: { COMPLETED: 5 },
      successRate: 1,
      jobs: [
        expect.objectContaining({ jobName: 'tokenCleanupJob', executions: 5, successRate: 1, meanDurationMs: expect.any(Number) }),
        { jobName: 'dureeDoctoratAlertJob', executions: 0, byStatus: {}, successRate: null, meanDurationMs: null },
        { jobName: 'monthlyReportJob', executions: 0, byStatus: {}, successRate: null, meanDurationMs: null },
        { jobName: 'archiveJob', executions: 0, byStatus: {}, successRate: null, meanDurationMs: null },
        { jobName: 'dataConsistencyJob', executions: 0, byStatus: {}, successRate: null, meanDurationMs: null },
      ],
    });
  });

  test('limits launches per user: past RATE_LIMIT_RUN_PER_MINUTE accepted launches a 429 problem with Retry-After; refusals never count; other users unaffected', async ({ startApi }) => {
    const api = await startApi({ env: { RATE_LIMIT_RUN_PER_MINUTE: '2' } });
    const run = (sub: string, job = 'noSuchJob') => api.call(`/api/batch/jobs/${job}/run`, { method: 'POST', sub });
    for (let i = 0; i < 3; i++) expect((await run('alice')).status).toBe(404);
    expect((await run('alice', 'tokenCleanupJob')).status).toBe(202);
    expect((await run('alice', 'dureeDoctoratAlertJob')).status).toBe(202);
    const limited = await run('alice', 'dataConsistencyJob');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await problem(limited)).detail).toMatch(/alice made more than 2 launches/);
    expect((await run('bob')).status).toBe(404);
    const restart = (sub: string) => api.call('/api/batch/jobs/executions/424242/restart', { method: 'POST', sub });
    for (let i = 0; i < 4; i++) expect((await restart('carol')).status).toBe(404);
    expect((await api.call('/api/batch/jobs')).status).toBe(200);
  });
});
