/**
 * Issue 21, item 2: archiving does not rewrite the past. October's figures recomputed
 * after archiveJob (recompute=true, so nothing is taken from the stored snapshot) are
 * the ones computed before it, on demo data at scale 3 where the archive run flags rows
 * of doctorants active in October.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { activeAt, OCTOBER, seedDemoMonth, storedFigures, ZONE } from './demo-month.js';

describe.each(dialects)('monthly report and archiveJob (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('October recomputed after archiveJob has the figures it had before', async () => {
    env = await createTestEnvironment(dialect, { BATCH_TIMEZONE: ZONE, ARCHIVE_KEYS: `k1:${randomBytes(32).toString('base64')}` });
    await seedDemoMonth(env);
    app = await createApp(env.config, silentLogger);
    const run = async (job: string, parameters: Record<string, string>) => (await (await app!.operator.start(job, { parameters, trigger: 'CLI' })).done).status;
    const computedBy = async () => Number((await env.databases.batch.db.selectFrom('report_snapshot').select('job_execution_id').where('month', '=', OCTOBER.month).executeTakeFirstOrThrow()).job_execution_id);

    expect(await run('monthlyReportJob', { month: OCTOBER.month })).toBe('COMPLETED');
    const firstComputation = await computedBy();
    const before = await storedFigures(env, OCTOBER.month);
    const activeBefore = new Set((await activeAt(env, OCTOBER.lastDay)).map((a) => a.doctorant));
    const unarchived = await env.databases.inscription.db.selectFrom('inscriptions').select(['id', 'doctorant_id']).where('archived', '=', 0).execute();

    expect(await run('archiveJob', { runAt: '2026-12-07T02:00:00Z' })).toBe('COMPLETED');
    const archivedNow = await env.databases.inscription.db
      .selectFrom('inscriptions')
      .select(['id', 'doctorant_id'])
      .where('archived', '=', 1)
      .where('id', 'in', unarchived.map((r) => r.id))
      .execute();
    // The archive run touched October's people: without that the comparison would prove nothing.
    expect(archivedNow.filter((r) => activeBefore.has(Number(r.doctorant_id))).length).toBeGreaterThan(0);

    expect(await run('monthlyReportJob', { month: OCTOBER.month, recompute: 'true' })).toBe('COMPLETED');
    expect(await computedBy()).not.toBe(firstComputation);
    expect(await storedFigures(env, OCTOBER.month)).toEqual(before);
  }, 180_000);
});
