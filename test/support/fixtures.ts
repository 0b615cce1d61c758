/**
 * The suite's fixtures (vitest's `test.extend`). A test names what it needs in its
 * arguments — `env` (five fresh databases), `smtp` (a real SMTP server on loopback), `app`
 * (the service on those databases, pointed at that server) — and gets each set up before
 * it and torn down after it, newest first, whether it passed or failed. Nothing is set up
 * that the test does not name (or that what it names does not need). `startApi` starts the
 * admin API over real HTTP on databases of its own (test/http/api-harness.ts), as many
 * times as the test asks, each with its options, and stops every one after the test.
 *
 * A describe block chooses with `test.override`: `dialect` (SQLite by default; the
 * describe.each over `dialects` sets it), `settings` (variables added to the environment),
 * `smtpOptions` (a slow or refusing server).
 */
import { test as base } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import type { Env } from '../../src/config.js';
import type { Dialect } from '../../src/db/connect.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startApi, type Api, type ApiOptions } from '../http/api-harness.js';
import { createTestEnvironment, type TestEnvironment } from './databases.js';
import { startSmtp, type SmtpOptions, type TestSmtp } from './smtp.js';

export const test = base
  .extend('dialect', 'sqlite' as Dialect)
  .extend('settings', {} as Env)
  .extend('smtpOptions', {} as SmtpOptions)
  .extend('smtp', async ({ smtpOptions }, { onCleanup }): Promise<TestSmtp> => {
    const smtp = await startSmtp(smtpOptions);
    onCleanup(() => smtp.close());
    return smtp;
  })
  .extend('env', async ({ dialect, settings, smtp }, { onCleanup }): Promise<TestEnvironment> => {
    const env = await createTestEnvironment(dialect, { SMTP_URL: smtp.url, ...settings });
    onCleanup(() => env.cleanup());
    return env;
  })
  .extend('app', async ({ env }, { onCleanup }): Promise<App> => {
    const app = await createApp(env.config, silentLogger);
    onCleanup(() => app.close());
    return app;
  })
  .extend('startApi', async ({ dialect, settings }, { onCleanup }): Promise<(options?: ApiOptions) => Promise<Api>> => {
    const started: Api[] = [];
    onCleanup(async () => {
      for (const api of started.reverse()) await api.close();
    });
    return async (options = {}) => {
      const api = await startApi(dialect, { ...options, env: { ...settings, ...options.env } });
      started.push(api);
      return api;
    };
  });

export { describe, expect } from 'vitest';
