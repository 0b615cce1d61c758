/**
 * 4.11, the one promise: a real process killed (SIGKILL) at each boundary of a record's
 * saga — after the temporary file, after the rename, after the row, after the flag, in
 * the middle of the deletions — leaves every original document either in place or in a
 * recorded archive that decrypts to the same bytes, never neither; a re-run then ends
 * exactly as an uninterrupted run.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobOperator } from '../../../src/engine/job-operator.js';
import { JobRepository } from '../../../src/engine/job-repository.js';
import { archiveJob } from '../../../src/jobs/archiveJob/archive-job.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { loadArchiveKeys } from '../../../src/archives/archive-keys.js';
import { AuditLog } from '../../../src/security/audit-log.js';
import { startChild } from '../../support/child.js';
import { lapseLeases } from '../../support/leases.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { KEY, openArchive, plant, RUN_AT } from './fixtures.js';

const BOUNDARIES = ['temp-written', 'renamed', 'row-inserted', 'flagged', 'first-file-deleted'] as const;
const ARCHIVED = ['inscriptions/1/these.pdf', 'inscriptions/1/notes é.txt', 'inscriptions/2/refus.pdf'];

describe.each(dialects)('archiveJob killed at each saga boundary (%s)', (dialect) => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it.each(BOUNDARIES)('killed %s: every document in place or in a verified archive; the re-run completes the work', async (boundary) => {
    env = await createTestEnvironment(dialect, { ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` });
    const { files } = await plant(env);
    const child = startChild(['test/fixtures/archive-child.ts', boundary, RUN_AT], env.env, { tsx: true });
    const killed = await child.exited;
    expect(killed.code, killed.stdout + killed.stderr).toBeNull();

    const keys = loadArchiveKeys(env.config);
    const recorded = async () => new Map((await env.databases.batch.db.selectFrom('inscription_archive').selectAll().execute()).map((r) => [Number(r.original_id), r]));
    const safe = async () => {
      const rows = await recorded();
      for (const chemin of ARCHIVED) {
        const id = Number(chemin.split('/')[1]);
        const inPlace = existsSync(path.join(env.config.uploadsDir, chemin));
        const row = rows.get(id);
        const archived = row ? (await openArchive(row.archive_path, keys)).documents.get(chemin)?.equals(files.get(chemin)!) === true : false;
        expect(inPlace || archived, `${chemin} after a kill at ${boundary}`).toBe(true);
      }
    };
    await safe();

    expect(await lapseLeases(env.databases.batch.db)).toBe(1);
    const operator = new JobOperator(new JobRepository(env.databases.batch.db), [
      archiveJob({ ...env.databases, audit: new AuditLog(env.databases.batch.db), uploadsDir: env.config.uploadsDir, archivesDir: env.config.archivesDir, logDir: env.config.logDir, timeZone: 'UTC', skipLimit: 100, keys: () => keys }),
    ], { heartbeatIntervalMs: 50, heartbeatTimeoutMs: 10_000, checkpointIntervalMs: 0, logger: silentLogger });
    const [abandoned] = await operator.abandonStale();
    expect(abandoned?.exitCode).toBe('ABANDONED');
    const done = await (await operator.restart(abandoned!.id, { trigger: 'CLI' })).done;
    expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');

    // The end state of an uninterrupted run.
    const rows = await recorded();
    expect([...rows.keys()].sort()).toEqual([1, 2]);
    for (const chemin of ARCHIVED) {
      expect(existsSync(path.join(env.config.uploadsDir, chemin)), chemin).toBe(false);
      const row = rows.get(Number(chemin.split('/')[1]))!;
      expect((await openArchive(row.archive_path, keys)).documents.get(chemin)!.equals(files.get(chemin)!), chemin).toBe(true);
      expect(existsSync(`${row.archive_path}.tmp`)).toBe(false);
    }
    const flags = await env.databases.inscription.db.selectFrom('inscriptions').select(['id', 'archived']).where('id', 'in', [1, 2, 6, 7, 8]).orderBy('id').execute();
    expect(flags.map((f) => Number(f.archived))).toEqual([1, 1, 0, 0, 0]);
    expect(readFileSync(path.join(env.config.uploadsDir, 'inscriptions/6/ok.pdf')).length).toBe(100);
    // One audit entry per archive, whatever the kill interrupted, and the chain still holds.
    const audit = new AuditLog(env.databases.batch.db);
    const created = (await audit.list(0, 100)).items.filter((e) => e.action === 'ARCHIVE_CREATE').map((e) => e.target).sort();
    const defenses = await env.databases.batch.db.selectFrom('defense_archive').select('original_id').execute();
    expect(defenses.length).toBeGreaterThan(0);
    expect(created).toEqual([...defenses.map((d) => `defense#${Number(d.original_id)}`), 'inscription#1', 'inscription#2'].sort());
    expect((await audit.verify()).intact).toBe(true);
  }, 60_000);
});
