/**
 * What the admin console (issue 14) reads beyond the job and execution routes: executions
 * across jobs with filters, a running execution's checkpointed step counts, the items an
 * execution skipped, and the audit chain's verdict.
 */
import { sql } from 'kysely';
import type { Json } from '../../src/engine/types.js';
import { createItems, itemsJob, itemsStep } from '../engine/harness.js';
import { dialects } from '../support/databases.js';
import { describe, expect, test } from '../support/fixtures.js';
import { awaitEnd, gate, type Api } from './api-harness.js';

interface Summary {
  id: number;
  jobName: string;
  status: string;
  startTime: string | null;
  endTime: string | null;
  durationMs: number | null;
}
interface Page<T> {
  page: number;
  size: number;
  total: number;
  items: T[];
}
interface Step {
  name: string;
  status: string;
  read: number;
  write: number;
  commit: number;
  durationMs: number | null;
}
interface Skip {
  stepName: string;
  phase: string;
  item: unknown;
  itemTruncated: boolean;
  reason: string;
  recordedAt: string;
}

async function problemDetail(response: Response, status: number): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return ((await response.json()) as { detail: string }).detail;
}

async function launch(api: Api, jobName: string): Promise<number> {
  const response = await api.call(`/api/batch/jobs/${jobName}/run`, { method: 'POST' });
  expect(response.status).toBe(202);
  return ((await response.json()) as { executionId: number }).executionId;
}

describe.each(dialects)('console API (%s)', (dialect) => {
  test.override({ dialect });

  test('lists executions across jobs newest first, by job, by status or both, paged with the total; the routes beside it still answer', async ({ startApi }) => {
    // Once set, an alphaJob run waits before its first write, so it stays STARTED.
    const hold = gate();
    let holding = false;
    let failBeta = false;
    const api = await startApi({
      env: { RATE_LIMIT_RUN_PER_MINUTE: '100' },
      jobs: async (env) => {
        const db = await createItems(env.databases, 4);
        const beta = (id: number) => {
          if (failBeta) throw new Error(`item ${id} refused`);
          return id;
        };
        return [
          itemsJob(db, [itemsStep(db, 'alphaStep', 2, { beforeWrite: () => (holding ? hold.wait : undefined) })], 'alphaJob'),
          itemsJob(db, [itemsStep(db, 'betaStep', 2, { process: beta })], 'betaJob'),
        ];
      },
    });
    const ended = async (jobName: string) => {
      const id = await launch(api!, jobName);
      await awaitEnd(api!, id);
      return id;
    };
    const a1 = await ended('alphaJob');
    const a2 = await ended('alphaJob');
    failBeta = true;
    const b1 = await ended('betaJob');
    failBeta = false;
    const b2 = await ended('betaJob');
    holding = true;
    try {
      const a3 = await launch(api, 'alphaJob');
      const list = async (query: string) => {
        const response = await api.call(`/api/batch/jobs/executions${query}`);
        expect(response.status).toBe(200);
        return (await response.json()) as Page<Summary>;
      };
      const ids = async (query: string) => (await list(query)).items.map((e) => e.id);

      const all = await list('');
      expect(all).toMatchObject({ page: 0, size: 20, total: 5 });
      expect(all.items.map((e) => [e.id, e.jobName, e.status])).toEqual([
        [a3, 'alphaJob', 'STARTED'],
        [b2, 'betaJob', 'COMPLETED'],
        [b1, 'betaJob', 'FAILED'],
        [a2, 'alphaJob', 'COMPLETED'],
        [a1, 'alphaJob', 'COMPLETED'],
      ]);
      // The « Tâches » and « Exécutions » screens show a duration once the run has ended.
      expect(all.items[0]).toMatchObject({ endTime: null, durationMs: null });
      expect(all.items[1]?.durationMs).toEqual(Date.parse(all.items[1]!.endTime!) - Date.parse(all.items[1]!.startTime!));

      expect(await list('?job=alphaJob')).toMatchObject({ total: 3, items: [{ id: a3 }, { id: a2 }, { id: a1 }] });
      expect(await list('?status=FAILED')).toMatchObject({ total: 1, items: [{ id: b1, jobName: 'betaJob' }] });
      expect(await ids('?status=STARTED')).toEqual([a3]);
      expect(await list('?job=alphaJob&status=COMPLETED')).toMatchObject({ total: 2, items: [{ id: a2 }, { id: a1 }] });
      expect(await list('?job=betaJob&status=STARTED')).toEqual({ page: 0, size: 20, total: 0, items: [] });

      expect(await list('?page=1&size=2')).toMatchObject({ page: 1, size: 2, total: 5, items: [{ id: b1 }, { id: a2 }] });
      expect(await ids('?page=2&size=2')).toEqual([a1]);
      expect(await list('?page=3&size=2')).toEqual({ page: 3, size: 2, total: 5, items: [] });
      expect(await list('?status=COMPLETED&page=1&size=2')).toMatchObject({ total: 3, items: [{ id: a1 }] });

      expect(await problemDetail(await api.call('/api/batch/jobs/executions?status=DONE'), 400)).toBe(
        'invalid request: querystring/status must be one of STARTED, STOPPING, STOPPED, COMPLETED, FAILED',
      );
      expect(await problemDetail(await api.call('/api/batch/jobs/executions?job=noSuchJob'), 400)).toBe(
        'invalid request: querystring/job must be one of alphaJob, betaJob',
      );
      for (const query of ['size=0', 'size=101', 'page=-1', 'page=x', 'size=1e1', 'state=FAILED']) {
        expect(await problemDetail(await api.call(`/api/batch/jobs/executions?${query}`), 400), query).not.toBe('');
      }
      expect(await problemDetail(await fetch(`${api.base}/api/batch/jobs/executions`), 401)).toMatch(/no token/);
      const user = await api.token({ roles: ['ROLE_USER'] });
      expect(await problemDetail(await fetch(`${api.base}/api/batch/jobs/executions`, { headers: { authorization: `Bearer ${user}` } }), 403)).toMatch(/admin role/);

      // The static path sits between two parametric ones: each still reaches its own route.
      const detail = await api.call(`/api/batch/jobs/executions/${a1}`);
      expect(detail.status).toBe(200);
      expect(await detail.json()).toMatchObject({ id: a1, jobName: 'alphaJob', steps: [{ name: 'alphaStep' }] });
      const perJob = await api.call('/api/batch/jobs/betaJob/executions');
      expect(((await perJob.json()) as Page<Summary>).items.map((e) => e.id)).toEqual([b2, b1]);
      expect(await problemDetail(await api.call('/api/batch/jobs/executions/executions'), 400)).toMatch(/executionId must be a decimal integer/);
    } finally {
      hold.open();
    }
  });

  test('a running execution shows its step counts as each chunk is checkpointed', async ({ startApi }) => {
    // beforeWrite(n) announces that chunk n is about to be written and waits to be let go;
    // by then chunk n-1 has committed and its checkpoint is saved.
    const reached = [gate(), gate(), gate(), gate()];
    const release = [gate(), gate(), gate(), gate()];
    const api = await startApi({
      jobs: async (env) => {
        const db = await createItems(env.databases, 6);
        const beforeWrite = (call: number) => {
          reached[call]?.open();
          return release[call]?.wait;
        };
        return [itemsJob(db, [itemsStep(db, 'chunkStep', 2, { beforeWrite })], 'chunkJob')];
      },
    });
    release[1]!.open();
    try {
      const id = await launch(api, 'chunkJob');
      const detail = async () => (await (await api.call(`/api/batch/jobs/executions/${id}`)).json()) as { status: string; durationMs: number | null; steps: Step[] };

      await reached[2]!.wait;
      expect(await detail()).toMatchObject({ status: 'STARTED', durationMs: null, steps: [{ name: 'chunkStep', status: 'STARTED', read: 2, write: 2, commit: 1, durationMs: null }] });
      release[2]!.open();
      await reached[3]!.wait;
      expect((await detail()).steps).toEqual([expect.objectContaining({ status: 'STARTED', read: 4, write: 4, commit: 2 })]);
      release[3]!.open();

      const done = (await awaitEnd(api, id)) as unknown as { status: string; steps: Step[] };
      expect(done).toMatchObject({ status: 'COMPLETED', steps: [{ status: 'COMPLETED', read: 6, write: 6, commit: 3 }] });
    } finally {
      for (const g of release) g.open();
    }
  });

  test('lists the items an execution skipped with step, phase, item and reason, paged; 404 for an unknown execution', async ({ startApi }) => {
    const api = await startApi({
      env: { RATE_LIMIT_RUN_PER_MINUTE: '100' },
      jobs: async (env) => {
        const db = await createItems(env.databases, 6);
        const process = (id: number) => {
          if (id === 3 || id === 5) throw new Error(`item ${id}: value out of range`);
          return id;
        };
        // Item 5 is recorded past the 4000 characters batch_step_skip keeps.
        const describeItem = (id: number): Json => (id === 5 ? { id, note: 'x'.repeat(5000) } : { id, value: id * 10 });
        return [
          itemsJob(db, [itemsStep(db, 'lenientStep', 10, { process }, { skip: { limit: 5 }, describeItem })], 'lenientJob'),
          itemsJob(db, [itemsStep(db, 'plainStep', 10)], 'plainJob'),
        ];
      },
    });
    const first = await launch(api, 'lenientJob');
    expect((await awaitEnd(api, first)).status).toBe('COMPLETED');
    const second = await launch(api, 'lenientJob');
    await awaitEnd(api, second);
    const plain = await launch(api, 'plainJob');
    await awaitEnd(api, plain);
    const skips = async (id: number, query = '') => {
      const response = await api.call(`/api/batch/jobs/executions/${id}/skips${query}`);
      expect(response.status).toBe(200);
      return (await response.json()) as Page<Skip>;
    };

    const page = await skips(first);
    expect(page).toMatchObject({ page: 0, size: 20, total: 2 });
    expect(page.items[0]).toEqual({
      stepName: 'lenientStep',
      phase: 'PROCESS',
      item: { id: 3, value: 30 },
      itemTruncated: false,
      reason: 'item 3: value out of range',
      recordedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(page.items[1]).toMatchObject({ phase: 'PROCESS', itemTruncated: true, reason: 'item 5: value out of range' });
    expect(page.items[1]?.item).toEqual(expect.stringMatching(/^\{"id":5,"note":"x+$/));
    expect((page.items[1]?.item as string).length).toBe(4000);

    expect(await skips(first, '?page=1&size=1')).toMatchObject({ page: 1, size: 1, total: 2, items: [{ reason: 'item 5: value out of range' }] });
    expect(await skips(second)).toMatchObject({ total: 2, items: [{ item: { id: 3, value: 30 } }, { itemTruncated: true }] });
    expect(await skips(plain)).toEqual({ page: 0, size: 20, total: 0, items: [] });

    expect(await problemDetail(await api.call('/api/batch/jobs/executions/999999/skips'), 404)).toMatch(/999999/);
    expect(await problemDetail(await api.call(`/api/batch/jobs/executions/${first}/skips?size=0`), 400)).not.toBe('');
    expect(await problemDetail(await fetch(`${api.base}/api/batch/jobs/executions/${first}/skips`), 401)).toMatch(/no token/);
  });

  test('audit verify says the chain is intact with its entry count, and names the first entry edited behind the triggers', async ({ startApi }) => {
    const api = await startApi();
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push((await api.app.audit.append({ action: 'JOB_STOP', actor: `user${i}`, target: `job#${i}` })).id);
    const verify = async () => {
      const response = await api.call('/api/batch/audit/verify');
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    expect(await verify()).toEqual({ intact: true, entries: 4 });

    const db = api.env.databases.batch.db;
    await sql`DROP TRIGGER audit_log_no_update`.execute(db);
    await db.updateTable('audit_log').set({ actor: 'mallory' }).where('id', '=', ids[2]!).execute();
    expect(await verify()).toEqual({ intact: false, entries: 2, brokenAt: ids[2], reason: `entry ${ids[2]} was altered: its content no longer matches its hash` });

    expect(await problemDetail(await fetch(`${api.base}/api/batch/audit/verify`), 401)).toMatch(/no token/);
    const user = await api.token({ roles: ['ROLE_USER'] });
    expect(await problemDetail(await fetch(`${api.base}/api/batch/audit/verify`, { headers: { authorization: `Bearer ${user}` } }), 403)).toMatch(/admin role/);
  });
});
