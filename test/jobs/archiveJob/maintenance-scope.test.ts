/**
 * optimizeDatabaseStep maintains batchdb's archive tables; the sibling services' tables
 * (OPTIMIZE TABLE rebuilds them on MariaDB) only when DB_MAINTENANCE_SIBLINGS=true.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { KEY, plant, RUN_AT } from './fixtures.js';

describe.each(dialects)('archiveJob database maintenance (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  const maintained = async (extra: Record<string, string>) => {
    env = await createTestEnvironment(dialect, { ARCHIVE_KEYS: `k1:${KEY.toString('base64')}`, ...extra });
    await plant(env);
    app = await createApp(env.config, silentLogger);
    const done = await (await app.operator.start('archiveJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done;
    expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');
    const step = (await app.repository.stepExecutions(done.id)).find((s) => s.stepName === 'optimizeDatabaseStep')!;
    const results = (step.context.results ?? []) as unknown as { database: string; table: string }[];
    return { read: step.counts.read, databases: [...new Set(results.map((r) => r.database))].sort() };
  };

  it("by default touches batchdb's archive tables only", async () => {
    expect(await maintained({})).toEqual({ read: 2, databases: ['batchdb'] });
  });

  it('with DB_MAINTENANCE_SIBLINGS=true maintains the sibling tables it touched too', async () => {
    expect(await maintained({ DB_MAINTENANCE_SIBLINGS: 'true' })).toEqual({ read: 7, databases: ['batchdb', 'defensedb', 'inscriptiondb', 'notificationdb'] });
  });
});
