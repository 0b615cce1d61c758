/**
 * Property 28 (4.6, 4.7): whatever notifications and log files there are, archiveJob
 * deletes exactly the SENT notifications older than three months (by `sent_at`, else
 * `created_at`) and our application logs dated more than six months back; FAILED and
 * PENDING notifications, error logs, files that are not ours and symlinks survive.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app.js';
import { sqlTimestampMillis } from '../../../src/db/sql-time.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';

const RUN_AT = new Date('2027-01-01T02:00:00Z');
const NOTIFICATION_CUTOFF = Date.parse('2026-10-01T02:00:00Z');
const LOG_CUTOFF = '2026-07-01';
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const notification = fc.record({
  statut: fc.constantFrom('SENT', 'FAILED', 'PENDING'),
  created: fc.integer({ min: Date.parse('2026-06-01T00:00:00Z'), max: Date.parse('2026-12-31T00:00:00Z') }),
  sentAfter: fc.option(fc.integer({ min: 0, max: 60 * 86_400_000 }), { nil: null }),
});
const logFile = fc.record({
  kind: fc.constantFrom('app', 'error', 'other', 'link'),
  date: fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2026-12-31T00:00:00Z') }).map(day),
});

describe.each(dialects)('archiveJob cleanup (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App;
  let run = 0;
  beforeAll(async () => {
    env = await createTestEnvironment(dialect, { ARCHIVE_KEYS: `k1:${randomBytes(32).toString('base64')}`, LOG_DIR: undefined });
    app = await createApp(env.config, silentLogger);
  });
  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('Property 28: only old SENT notifications and old application logs go', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(notification, { maxLength: 45 }), fc.uniqueArray(logFile, { maxLength: 12, selector: (f) => `${f.kind === 'link' ? 'app' : f.kind}-${f.date}` }), async (notifications, logs) => {
        await env.databases.notification.db.deleteFrom('notifications').execute();
        const dir = path.join(env.dataDir, `logs-${++run}`);
        mkdirSync(dir, { recursive: true });
        const target = path.join(env.dataDir, `kept-${run}.txt`);
        writeFileSync(target, 'not ours');
        const names = logs.map((f) => {
          const name = f.kind === 'other' ? `notes-${f.date}.log` : f.kind === 'link' ? `app-${f.date}.log` : `${f.kind}-${f.date}.log`;
          if (f.kind === 'link') symlinkSync(target, path.join(dir, name));
          else writeFileSync(path.join(dir, name), 'x');
          return { ...f, name };
        });
        if (notifications.length > 0) {
          await env.databases.notification.db.insertInto('notifications').values(notifications.map((n) => ({
            user_id: null, destinataire_email: 'x@x.fr', type: 'RAPPEL', sujet: 's', contenu: 'c', statut: n.statut, tentatives: 1, derniere_erreur: null,
            created_at: sqlTimestampMillis(new Date(n.created)), sent_at: n.sentAfter === null ? null : sqlTimestampMillis(new Date(n.created + n.sentAfter)),
          }))).execute();
        }
        // The cleanup reads LOG_DIR from the job's settings: point this run's job at the planted folder.
        const service = await createApp({ ...env.config, logDir: dir }, silentLogger);
        try {
          const done = await (await service.operator.start('archiveJob', { parameters: { runAt: RUN_AT.toISOString(), run: String(run) }, trigger: 'CLI' })).done;
          expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');
        } finally {
          await service.close();
        }
        const left = await env.databases.notification.db.selectFrom('notifications').select(['statut', 'created_at', 'sent_at']).execute();
        const old = (n: (typeof notifications)[number]) => (n.sentAfter === null ? n.created : n.created + n.sentAfter) < NOTIFICATION_CUTOFF;
        expect(left.length).toBe(notifications.filter((n) => !(n.statut === 'SENT' && old(n))).length);
        expect(left.filter((n) => n.statut !== 'SENT').length).toBe(notifications.filter((n) => n.statut !== 'SENT').length);
        const present = new Set(readdirSync(dir));
        for (const f of names) {
          const gone = f.kind === 'app' && f.date < LOG_CUTOFF;
          expect(present.has(f.name), `${f.kind} ${f.name}`).toBe(!gone);
          if (f.kind === 'link') expect(lstatSync(path.join(dir, f.name)).isSymbolicLink()).toBe(true);
        }
        expect(existsSync(target)).toBe(true);
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: dialect === 'sqlite' ? 25 : 10 },
    );
  });
});
