/**
 * The console in a real browser against the real service: the console built as
 * `npm run build` builds it, the API of test/http/api-harness.ts on real databases with
 * the demo data, the five jobs plus a gated one (it stays running until the test lets
 * it go), and Debian's chromium driven by playwright-core (no browser download).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { eventBrokerIndicator } from '../../src/events/event-broker-health.js';
import { generateDemoData } from '../../src/db/fixtures/demo-data.js';
import { createJobs } from '../../src/jobs/registry.js';
import { createMailer } from '../../src/mail/mailer.js';
import { silentLogger } from '../../src/observability/logger.js';
import { AuditLog } from '../../src/security/audit-log.js';
import { createItems, itemsJob, itemsStep } from '../engine/harness.js';
import { ROOT } from '../support/child.js';
import { gate, startApi, type Api } from '../http/api-harness.js';

/** Debian's package; CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

export const CONSOLE_DIR = path.join(ROOT, 'dist/admin');

/** Builds the console as `npm run build` does, so the tests serve what the source says now. */
export function buildConsole(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-admin.mjs')], { cwd: ROOT, stdio: 'pipe' });
}

export const GATED_JOB = 'gatedJob';
/**
 * gatedJob's items, two a chunk: it waits before writing its second chunk until the gate
 * opens, and skips one item of that chunk with a reason.
 */
export const GATED_ITEMS = 6;
/** The item gatedJob skips (in its second chunk), and why. */
export const SKIPPED_ITEM = 3;
export const SKIP_REASON = 'date de première inscription manquante (élément de test)';

export interface ConsoleApi extends Api {
  /** Lets the running gatedJob go on. */
  openGate(): void;
}

export async function startConsoleApi(): Promise<ConsoleApi> {
  const release = gate();
  const api = await startApi('sqlite', {
    env: { RATE_LIMIT_RUN_PER_MINUTE: '100' },
    jobs: async (env) => {
      await generateDemoData(env.databases, { uploadsDir: env.config.uploadsDir, scale: 0.1 });
      const items = await createItems(env.databases, GATED_ITEMS);
      const mailer = createMailer({ from: 'batch@univ-exemple.fr', mailDir: path.join(env.dataDir, 'mail') }, silentLogger);
      const real = createJobs(env.config, env.databases, { mailer, logger: silentLogger, audit: new AuditLog(env.databases.batch.db) });
      const step = itemsStep(
        items,
        'itemsStep',
        2,
        {
          beforeWrite: (call) => (call === 2 ? release.wait : undefined),
          process: (id) => {
            if (id === SKIPPED_ITEM) throw new Error(SKIP_REASON);
            return id;
          },
        },
        // A first run knows its total; a restart says it cannot tell (the page shows no bar then).
        { skip: { limit: 1 }, estimate: async (ctx) => (Object.keys(ctx.restoredContext).length === 0 ? GATED_ITEMS : null) },
      );
      const gated = itemsJob(items, [step], GATED_JOB);
      return [...real, gated];
    },
  });
  // The service's outbox component, which the API harness leaves out: the Santé screen shows its counts.
  api.app.health.register(eventBrokerIndicator(api.env.config, api.env.databases.batch.db, undefined, 1000));
  return { ...api, openGate: release.open };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}
