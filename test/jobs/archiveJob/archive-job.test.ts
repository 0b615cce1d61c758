/**
 * archiveJob on real files and databases: each closed record becomes a verified encrypted
 * archive holding its row and its documents byte for byte (Property 24), its row and flag
 * are recorded and its documents removed; a record with a missing, linked or escaping
 * document is skipped with the reason and nothing of it changes; the archive decrypts with
 * the independent decoder of docs/archive-format.md; no archive keys, no launch.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yauzl from 'yauzl';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app.js';
import { closeDatabases, openDatabases } from '../../../src/db/databases.js';
import { startChild } from '../../support/child.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createTestEnvironment, dialects, type TestEnvironment } from '../../support/databases.js';
import { KEY, openArchive, plant, RUN_AT } from './fixtures.js';

describe.each(dialects)('archiveJob (%s)', (dialect) => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('Property 24: archived rows, flags set, documents removed; restored byte for byte; bad records skipped untouched', async () => {
    env = await createTestEnvironment(dialect, { ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` });
    const { files } = await plant(env);
    app = await createApp(env.config, silentLogger);
    const done = await (await app.operator.start('archiveJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done;
    expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');
    expect(done.metrics).toMatchObject({ enrollmentsArchived: 2, defensesArchived: 1, documentsArchived: 4, recordsSkipped: 3 });
    expect(done.metrics.bytesFreed).toBe(150_000 + 70_000 + 40_000 + files.get('inscriptions/1/notes é.txt')!.length);
    const defense = await env.databases.batch.db.selectFrom('defense_archive').selectAll().executeTakeFirstOrThrow();
    expect(Number(defense.original_id)).toBe(1);
    expect(existsSync(path.join(env.config.uploadsDir, 'soutenances/1/pv.pdf'))).toBe(false);
    const defenseFlags = await env.databases.defense.db.selectFrom('soutenances').select(['id', 'archived']).orderBy('id').execute();
    expect(defenseFlags.map((f) => Number(f.archived))).toEqual([1, 0]);

    const archived = await env.databases.batch.db.selectFrom('inscription_archive').selectAll().orderBy('original_id').execute();
    expect(archived.map((r) => Number(r.original_id))).toEqual([1, 2]);
    const flags = await env.databases.inscription.db.selectFrom('inscriptions').select(['id', 'archived']).orderBy('id').execute();
    expect(flags.map((f) => [Number(f.id), Number(f.archived)])).toEqual([[1, 1], [2, 1], [3, 0], [4, 0], [5, 1], [6, 0], [7, 0], [8, 0]]);
    for (const chemin of ['inscriptions/1/these.pdf', 'inscriptions/1/notes é.txt', 'inscriptions/2/refus.pdf']) expect(existsSync(path.join(env.config.uploadsDir, chemin)), chemin).toBe(false);
    for (const chemin of ['inscriptions/3/recent.pdf', 'inscriptions/6/ok.pdf', 'inscriptions/7/ok.pdf']) expect(existsSync(path.join(env.config.uploadsDir, chemin)), chemin).toBe(true);

    const keys = { current: { id: 'k1', key: KEY }, byId: new Map([['k1', { id: 'k1', key: KEY }]]) };
    const restored = await openArchive(archived[0]!.archive_path, keys);
    expect(restored.documents.get('inscriptions/1/these.pdf')!.equals(files.get('inscriptions/1/these.pdf')!)).toBe(true);
    expect(restored.documents.get('inscriptions/1/notes é.txt')!.equals(files.get('inscriptions/1/notes é.txt')!)).toBe(true);
    expect(restored.record).toMatchObject({ id: 1, statut: 'VALIDÉ', sujet_these: 'Sujet 1 — thèse' });
    expect(JSON.parse(archived[0]!.original_row)).toMatchObject({ id: 1, sujet_these: 'Sujet 1 — thèse' });
    expect(archived[0]!.key_id).toBe('k1');

    const skips = await app.repository.skips(done.id);
    expect(skips.map((s) => s.reason).sort()).toEqual([
      'document "../outside.txt" leaves UPLOADS_DIR',
      'document "inscriptions/7/lien.pdf" is a symbolic link; archives hold files only',
      'document "inscriptions/8/absent.pdf" is missing',
    ]);
    const audited = (await app.audit.list(0, 50)).items.filter((e) => e.action === 'ARCHIVE_CREATE').map((e) => e.target).sort();
    expect(audited).toEqual(['defense#1', 'inscription#1', 'inscription#2']);

    // A second run finds nothing more to do and changes nothing.
    const again = await (await app.operator.start('archiveJob', { parameters: { runAt: '2027-01-02T02:00:00Z' }, trigger: 'CLI' })).done;
    expect(again.metrics).toMatchObject({ enrollmentsArchived: 0, recordsSkipped: 3 });
  });

  it('the archive the job writes decrypts with the decoder printed in docs/archive-format.md, into a standard ZIP', async () => {
    env = await createTestEnvironment(dialect, { ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` });
    const { files } = await plant(env);
    app = await createApp(env.config, silentLogger);
    expect((await (await app.operator.start('archiveJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done).status).toBe('COMPLETED');
    const doc = readFileSync(new URL('../../../docs/archive-format.md', import.meta.url), 'utf8');
    const dir = mkdtempSync(path.join(tmpdir(), 'decoder-'));
    try {
      writeFileSync(path.join(dir, 'decoder.mjs'), /## Example decoder[\s\S]*?```js\n([\s\S]*?)```/.exec(doc)![1]!);
      const { decryptArchive } = (await import(path.join(dir, 'decoder.mjs'))) as { decryptArchive: (f: Uint8Array, k: Map<string, Uint8Array>) => Promise<Buffer> };
      const row = await env.databases.batch.db.selectFrom('inscription_archive').selectAll().where('original_id', '=', 2).executeTakeFirstOrThrow();
      const zip = await decryptArchive(readFileSync(row.archive_path), new Map([['k1', KEY]]));
      const entries = await new Promise<Map<string, Buffer>>((resolve, reject) =>
        yauzl.fromBuffer(zip, { lazyEntries: true }, (error, archive) => {
          if (error || !archive) return reject(error);
          const found = new Map<string, Buffer>();
          archive.on('entry', (entry: yauzl.Entry) =>
            archive.openReadStream(entry, (e, stream) => {
              if (e || !stream) return reject(e);
              const parts: Buffer[] = [];
              stream.on('data', (p: Buffer) => parts.push(p)).on('end', () => (found.set(entry.fileName, Buffer.concat(parts)), archive.readEntry()));
            }),
          );
          archive.on('end', () => resolve(found)).on('error', reject);
          archive.readEntry();
        }),
      );
      expect([...entries.keys()].sort()).toEqual(['inscriptions/2/refus.pdf', 'manifest.json', 'record.json']);
      expect(entries.get('inscriptions/2/refus.pdf')!.equals(files.get('inscriptions/2/refus.pdf')!)).toBe(true);
      expect(JSON.parse(entries.get('manifest.json')!.toString())).toMatchObject({ format: 1, type: 'inscription', originalId: 2, documents: [{ chemin: 'inscriptions/2/refus.pdf', size: 70_000 }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without archive keys the launch is refused naming ARCHIVE_KEYS, and nothing is written', async () => {
    env = await createTestEnvironment(dialect);
    await plant(env);
    app = await createApp(env.config, silentLogger);
    await expect(app.operator.start('archiveJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).rejects.toThrow(/no archive key configured; set ARCHIVE_KEYS or ARCHIVE_KEY_FILE/);
    expect(await env.databases.batch.db.selectFrom('batch_job_execution').selectAll().execute()).toEqual([]);
    expect((await (await app.operator.start('tokenCleanupJob', { trigger: 'CLI' })).done).status).toBe('COMPLETED');
  });
});

describe('archiveJob on a full disk (sqlite)', () => {
  let env: TestEnvironment;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('ENOSPC while writing fails the step cleanly: temporary file gone, nothing recorded or deleted; the restart completes', async () => {
    env = await createTestEnvironment('sqlite', { ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` });
    const { files } = await plant(env);
    // The kernel's own "no space left on device": the archives' temporary files are /dev/full.
    // A full disk is no item's fault: the chunk fails as it is, without an item-by-item scan.
    mkdirSync(path.join(env.config.archivesDir, 'inscription'), { recursive: true });
    const traps = [1, 2].map((id) => path.join(env.config.archivesDir, 'inscription', `inscription-${id}.bsarc.tmp`));
    for (const trap of traps) symlinkSync('/dev/full', trap);
    app = await createApp(env.config, silentLogger);
    const failed = await (await app.operator.start('archiveJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done;
    expect(failed.status).toBe('FAILED');
    expect(failed.exitMessage).toMatch(/ENOSPC/);
    for (const trap of traps) expect(existsSync(trap), trap).toBe(false);
    // Failed cleanly: no row, no flag, every document in place.
    expect(await env.databases.batch.db.selectFrom('inscription_archive').select('original_id').execute()).toEqual([]);
    expect((await env.databases.inscription.db.selectFrom('inscriptions').select('archived').where('id', 'in', [1, 2]).execute()).map((r) => Number(r.archived))).toEqual([0, 0]);
    for (const [chemin, bytes] of files) expect(readFileSync(path.join(env.config.uploadsDir, chemin)).equals(bytes), chemin).toBe(true);
    const restarted = await (await app.operator.restart(failed.id, { trigger: 'CLI' })).done;
    expect(restarted.status).toBe('COMPLETED');
    expect(restarted.metrics).toMatchObject({ enrollmentsArchived: 2 });
  });
});

// Root, the tests' user, reads any file: the job runs as nobody to meet a real EACCES.
describe('archiveJob meets an unreadable document (sqlite, run as nobody)', () => {
  let env: TestEnvironment;
  afterEach(() => env?.cleanup());

  it('the record is skipped with the reason, its documents and flag untouched; the others are archived', async () => {
    env = await createTestEnvironment('sqlite', { ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` });
    const { files } = await plant(env);
    await env.databases.batch.close();
    chmodSync(path.join(env.config.uploadsDir, 'inscriptions/2/refus.pdf'), 0o000);
    const nobody = 65534;
    for (const entry of ['', ...readdirSync(env.dataDir, { recursive: true }).map(String)]) {
      const file = path.join(env.dataDir, entry);
      if (!lstatSync(file).isSymbolicLink()) chownSync(file, nobody, nobody);
    }
    const child = startChild(['test/fixtures/archive-child.ts', 'never', RUN_AT], env.env, { tsx: true, uid: nobody });
    const ended = await child.exited;
    expect(ended.stdout, ended.stderr).toMatch(/finished COMPLETED/);
    const reopened = openDatabases(env.config);
    try {
      const archived = await reopened.batch.db.selectFrom('inscription_archive').select('original_id').execute();
      expect(archived.map((r) => Number(r.original_id))).toEqual([1]);
      const skips = await reopened.batch.db.selectFrom('batch_step_skip').select('reason').execute();
      expect(skips.map((s) => s.reason)).toContain('document "inscriptions/2/refus.pdf" cannot be read (EACCES)');
      chmodSync(path.join(env.config.uploadsDir, 'inscriptions/2/refus.pdf'), 0o644);
      expect(readFileSync(path.join(env.config.uploadsDir, 'inscriptions/2/refus.pdf')).equals(files.get('inscriptions/2/refus.pdf')!)).toBe(true);
      const flag = await reopened.inscription.db.selectFrom('inscriptions').select('archived').where('id', '=', 2).executeTakeFirstOrThrow();
      expect(Number(flag.archived)).toBe(0);
    } finally {
      await closeDatabases(reopened);
    }
  }, 60_000);
});
