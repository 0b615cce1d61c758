/**
 * archiveJob never reads or deletes a file outside UPLOADS_DIR through a symbolic link on
 * the way: a document whose folder is a link out of UPLOADS_DIR is skipped with its
 * reason, and the file it points at survives. A link that stays inside UPLOADS_DIR is
 * followed like any folder.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { KEY, RUN_AT } from './fixtures.js';

describe.each(dialects)('archiveJob and symbolic links on the way (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  let outside: string;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
    rmSync(outside, { recursive: true, force: true });
  });

  it('skips a document behind a folder linked out of UPLOADS_DIR and leaves the outside file alone', async () => {
    env = await createTestEnvironment(dialect, { ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` });
    outside = mkdtempSync(path.join(tmpdir(), 'outside-'));
    writeFileSync(path.join(outside, 'victim.pdf'), 'not ours');
    const uploads = env.config.uploadsDir;
    mkdirSync(path.join(uploads, 'ins'), { recursive: true });
    symlinkSync(outside, path.join(uploads, 'ins/7'));
    // A link that stays inside UPLOADS_DIR is just another way to the same folder.
    mkdirSync(path.join(uploads, 'real/8'), { recursive: true });
    writeFileSync(path.join(uploads, 'real/8/these.pdf'), 'thèse');
    symlinkSync(path.join(uploads, 'real/8'), path.join(uploads, 'ins/8'));
    const at = '2024-01-01 00:00:00';
    const row = (id: number) => ({
      id, doctorant_id: 100 + id, directeur_id: null, sujet_these: 'Sujet', annee_universitaire: '2023-2024', type: 'PREMIERE',
      date_inscription: '2023-10-01', date_premiere_inscription: '2023-10-01', statut: 'VALIDÉ', motif_suspension: null, archived: 0, created_at: at, updated_at: '2025-06-01 10:00:00',
    });
    await env.databases.inscription.db.insertInto('inscriptions').values([row(7), row(8)]).execute();
    await env.databases.inscription.db
      .insertInto('documents')
      .values([
        { inscription_id: 7, type: 'PIECE', nom_fichier: 'victim.pdf', chemin: 'ins/7/victim.pdf', taille: 8, created_at: at },
        { inscription_id: 8, type: 'PIECE', nom_fichier: 'these.pdf', chemin: 'ins/8/these.pdf', taille: 6, created_at: at },
      ])
      .execute();
    app = await createApp(env.config, silentLogger);

    const done = await (await app.operator.start('archiveJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done;

    expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');
    expect(existsSync(path.join(outside, 'victim.pdf'))).toBe(true);
    const skips = await app.repository.skips(done.id);
    expect(skips.map((s) => s.reason)).toEqual([expect.stringContaining('document "ins/7/victim.pdf" lies behind a symbolic link that leads out of UPLOADS_DIR')]);
    expect(done.metrics).toMatchObject({ enrollmentsArchived: 1, recordsSkipped: 1 });
    expect(existsSync(path.join(uploads, 'real/8/these.pdf'))).toBe(false);
    const flags = await env.databases.inscription.db.selectFrom('inscriptions').select(['id', 'archived']).orderBy('id').execute();
    expect(flags.map((f) => [Number(f.id), Number(f.archived)])).toEqual([[7, 0], [8, 1]]);
  });
});
