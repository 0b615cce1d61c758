/**
 * Issue 22, item 4: a FIFO named like a report or an archive is "not found" at once. A
 * plain open of a FIFO waits for a writer, on one of libuv's four pool threads: five such
 * downloads used to leave no thread for anything else — the health's disk check, a new
 * token's signature check, every file the service reads — so the service stopped
 * answering. Here twelve downloads hit FIFOs at once (three times the pool), each must be
 * a quick 404, and the API and the health must still answer afterwards. The command
 * line's readers (report resend, archive verify, shred) refuse the same FIFOs at once too.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { buildServer } from '../../src/http/server.js';
import { ArchiveCatalog } from '../../src/archives/archive-catalog.js';
import { shredArchive } from '../../src/archives/archive-erasure.js';
import { resendReport, ReportResendRefused } from '../../src/jobs/monthlyReportJob/report-resend.js';
import { silentLogger } from '../../src/observability/logger.js';
import { loadArchiveKeys } from '../../src/archives/archive-keys.js';
import { NotARegularFileError } from '../../src/security/regular-file.js';
import { mintToken } from '../../src/security/token-minter.js';
import { createTestEnvironment, type TestEnvironment } from '../support/databases.js';
import { KEY, plant, RUN_AT } from '../jobs/archiveJob/fixtures.js';

const SECRET = 'fifo-test-secret-of-at-least-32-bytes!!';
/** Three times libuv's default pool of four. */
const REQUESTS = 12;
/** A 404 takes milliseconds; a request held by a FIFO never ends. */
const PATIENCE_MS = 5_000;

describe('reports and archives are served from regular files only (sqlite)', () => {
  let env: TestEnvironment | undefined;
  let app: App | undefined;
  let server: FastifyInstance | undefined;
  const fifos: string[] = [];
  afterEach(async () => {
    // Readers the old code left blocked in open() are let go by a writer appearing.
    for (const fifo of fifos.splice(0)) release(fifo);
    await server?.close();
    await app?.close();
    await env?.cleanup();
  });

  it('a FIFO named like a report or an archive is a quick 404, however many times; the API and the health still answer', async () => {
    env = await createTestEnvironment('sqlite', { JWT_SECRET: SECRET, ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` });
    await plant(env);
    app = await createApp(env.config, silentLogger);
    expect((await (await app.operator.start('archiveJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done).status).toBe('COMPLETED');
    server = await buildServer(app);
    const base = await server.listen({ port: 0, host: '127.0.0.1' });
    // Signed before the FIFOs, used only after them: its check is work for the pool.
    const [first, later] = await Promise.all([
      mintToken(env.config.jwt, { subject: 'ops', roles: ['ROLE_ADMIN'], ttl: '1h' }),
      mintToken(env.config.jwt, { subject: 'ops-later', roles: ['ROLE_ADMIN'], ttl: '1h' }),
    ]);
    const get = (url: string, token = first) => fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(PATIENCE_MS) });

    mkdirSync(env.config.reportsDir, { recursive: true });
    writeFileSync(path.join(env.config.reportsDir, 'rapport_2026_05.pdf'), '%PDF-1.4 a real report\n');
    fifos.push(mkfifo(path.join(env.config.reportsDir, 'rapport_2026_06.pdf')));
    fifos.push(mkfifo(path.join(env.config.reportsDir, 'rapport_anomalies_2026_06_30.pdf')));
    const archive = await new ArchiveCatalog(env.databases.batch.db).get('inscription', 2);
    rmSync(archive!.path);
    fifos.push(mkfifo(archive!.path));

    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) =>
        get(['/api/batch/reports/rapport_2026_06.pdf/download', '/api/batch/reports/rapport_anomalies_2026_06_30.pdf/download', '/api/batch/archives/inscription/2/download'][i % 3]!),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: REQUESTS }, () => 404));
    expect(Date.now() - started).toBeLessThan(PATIENCE_MS);
    expect(((await answers[2]!.json()) as { detail: string }).detail).toMatch(/^the archive file of inscription 2 is a FIFO \(named pipe\), not a regular file; run batch-service archive verify$/);

    // Everything else still answers: a token never seen (its signature checked on the pool), the listing, a real file, the health.
    const jobs = await get('/api/batch/jobs', later);
    expect(jobs.status).toBe(200);
    const listed = (await (await get('/api/batch/reports')).json()) as { name: string }[];
    expect(listed.map((r) => r.name)).toEqual(['rapport_2026_05.pdf']);
    const real = await get('/api/batch/reports/rapport_2026_05.pdf/download');
    expect(real.status).toBe(200);
    expect(await real.text()).toBe('%PDF-1.4 a real report\n');
    const health = await fetch(`${base}/actuator/health`, { signal: AbortSignal.timeout(PATIENCE_MS) });
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('UP');

    // The command line's readers of the same files refuse them at once.
    await expect(resendReport({ user: env.databases.user, mailer: app.mailer, reportsDir: env.config.reportsDir, timeZone: 'Europe/Paris' }, { month: '2026-06', to: 'doyen@univ-exemple.fr' })).rejects.toThrow(
      new ReportResendRefused(`no report for 2026-06: ${path.join(env.config.reportsDir, 'rapport_2026_06.pdf')} is a FIFO (named pipe), not a regular file; generate it again with \`batch-service run monthlyReportJob --param month=2026-06\``),
    );
    await expect(new ArchiveCatalog(env.databases.batch.db).open(archive!, loadArchiveKeys(env.config))).rejects.toThrow(NotARegularFileError);
    // Nor is a FIFO shredded in the archive's place: the catalogue would call shredded a key that may live on elsewhere.
    await expect(shredArchive({ batch: env.databases.batch, audit: app.audit }, archive!, { actor: 'ops (cli)', clientAddress: null })).rejects.toThrow(NotARegularFileError);
    expect((await new ArchiveCatalog(env.databases.batch.db).get('inscription', 2))!.shredded).toBe(false);
  });
});

function mkfifo(file: string): string {
  execFileSync('mkfifo', [file]);
  return file;
}

/** Opens the FIFO for writing and closes it: every reader blocked in its open() returns. */
function release(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // ENXIO: no reader is waiting; ENOENT: already gone.
  }
}
