/**
 * archiveJob's estimate (issue 14): each archive step counts its candidates as it
 * starts, the records it will then read — skipped ones included, since a skip is
 * decided after the read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { KEY, plant, RUN_AT } from './fixtures.js';

describe.each(dialects)('archiveJob estimate (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('each archive step expects the candidates it then reads; the tasklets have no estimate', async () => {
    env = await createTestEnvironment(dialect, { ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` });
    await plant(env);
    app = await createApp(env.config, silentLogger);

    const done = await (await app.operator.start('archiveJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done;

    expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');
    const steps = await app.repository.stepExecutions(done.id);
    expect(steps.map((s) => [s.stepName, s.estimatedTotal, s.counts.read])).toEqual([
      // Inscriptions 1, 2, 6, 7, 8 (three of them then skipped); defense 1.
      ['archiveEnrollmentsStep', 5, 5],
      ['archiveDefensesStep', 1, 1],
      ['cleanupLogsStep', null, 0],
      ['optimizeDatabaseStep', null, expect.any(Number)],
    ]);
  });
});
