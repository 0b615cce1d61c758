/**
 * Retrieval (10.5, 10.7) through the API and the CLI, each access audited: list, describe
 * and download the decrypted ZIP; restore the documents byte for byte (never over existing
 * files); verify names a damaged archive; rewrap lets the old key go; a shredded archive
 * can never be opened again, and says so.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/child.js';
import { dialects } from '../../support/databases.js';
import { startApi, type Api } from '../../http/api-harness.js';
import { KEY, plant, RUN_AT } from './fixtures.js';

describe.each(dialects)('archive retrieval (%s)', (dialect) => {
  let api: Api | undefined;
  let out: string | undefined;
  afterEach(async () => {
    await api?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('API: list, detail and download, audited with who and from where', async () => {
    api = await startApi(dialect, { env: { ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` } });
    const { files } = await plant(api.env);
    expect((await (await api.app.operator.start('archiveJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done).status).toBe('COMPLETED');

    const page = (await (await api.call('/api/batch/archives?type=inscription')).json()) as { total: number; items: { originalId: number; keyId: string; documents: number }[] };
    expect(page.total).toBe(2);
    expect(page.items.map((i) => i.originalId).sort()).toEqual([1, 2]);
    const detail = (await (await api.call('/api/batch/archives/inscription/1')).json()) as Record<string, unknown>;
    expect(detail).toMatchObject({ type: 'inscription', originalId: 1, keyId: 'k1', documents: 2, originalRow: { id: 1, statut: 'VALIDÉ' } });
    expect(detail).not.toHaveProperty('path');
    const download = await api.call('/api/batch/archives/inscription/2/download');
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/zip');
    const zip = Buffer.from(await download.arrayBuffer());
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(zip.includes(files.get('inscriptions/2/refus.pdf')!.subarray(0, 64))).toBe(true);
    expect((await api.call('/api/batch/archives/defense/2')).status).toBe(404);
    expect((await api.call('/api/batch/archives/other/1')).status).toBe(400);
    const accesses = (await api.app.audit.list(0, 50)).items.filter((e) => e.action === 'ARCHIVE_ACCESS');
    expect(accesses.map((e) => [e.actor, e.clientAddress, e.target])).toEqual([
      ['alice', '127.0.0.1', 'inscription#2'],
      ['alice', '127.0.0.1', 'inscription#1'],
    ]);
  });

  it('CLI: list, restore byte for byte, verify, rewrap then drop the old key, shred', async () => {
    const oldKey = `k1:${KEY.toString('base64')}`;
    const newKey = `k2:${randomBytes(32).toString('base64')}`;
    api = await startApi(dialect, { env: { ARCHIVE_KEYS: oldKey } });
    const { files } = await plant(api.env);
    expect((await (await api.app.operator.start('archiveJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done).status).toBe('COMPLETED');
    const env = { ...api.env.env, ARCHIVE_KEYS: oldKey };

    const listed = await runCli(['archive', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { type: string; originalId: number; keyId: string; sizeBytes: number; documents: number; archivedAt: string }[]).map((a) => [a.type, a.originalId, a.keyId, a.documents]).sort()).toEqual([
      ['defense', 1, 'k1', 1],
      ['inscription', 1, 'k1', 2],
      ['inscription', 2, 'k1', 1],
    ]);

    // A folder under --out that is a link leading elsewhere: nothing is written through it.
    const linked = mkdtempSync(path.join(tmpdir(), 'restore-linked-'));
    try {
      mkdirSync(path.join(linked, 'elsewhere'));
      mkdirSync(path.join(linked, 'out'));
      symlinkSync(path.join(linked, 'elsewhere'), path.join(linked, 'out', 'inscriptions'));
      const through = await runCli(['archive', 'restore', 'inscription', '1', '--out', path.join(linked, 'out')], env);
      expect(through.code, through.stderr).toBe(2);
      expect(through.stderr).toMatch(/out\/inscriptions\/1 is or lies behind a symbolic link: documents are restored only into real folders under --out/);
      expect(readdirSync(path.join(linked, 'elsewhere'))).toEqual([]);
      expect(readdirSync(path.join(linked, 'out'))).toEqual(['inscriptions']);
    } finally {
      rmSync(linked, { recursive: true, force: true });
    }

    out = mkdtempSync(path.join(tmpdir(), 'restore-'));
    const restored = await runCli(['archive', 'restore', 'inscription', '1', '--out', out], env);
    expect(restored.code, restored.stderr).toBe(0);
    for (const chemin of ['inscriptions/1/these.pdf', 'inscriptions/1/notes é.txt']) expect(readFileSync(path.join(out, chemin)).equals(files.get(chemin)!), chemin).toBe(true);
    expect(JSON.parse(readFileSync(path.join(out, 'record.json'), 'utf8'))).toMatchObject({ id: 1, statut: 'VALIDÉ' });
    const again = await runCli(['archive', 'restore', 'inscription', '1', '--out', out], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/refusing to overwrite/);

    expect((await runCli(['archive', 'verify'], env)).code).toBe(0);
    const row = await api.env.databases.batch.db.selectFrom('inscription_archive').selectAll().where('original_id', '=', 2).executeTakeFirstOrThrow();
    const pristine = readFileSync(row.archive_path);
    const damaged = Buffer.from(pristine);
    damaged[damaged.length - 5]! ^= 0xff;
    writeFileSync(row.archive_path, damaged);
    const verified = await runCli(['archive', 'verify'], env);
    expect(verified.code).toBe(1);
    expect(verified.stdout).toMatch(/inscription 1: OK/);
    expect(verified.stdout).toMatch(/inscription 2: BAD — /);
    // The run ends with its totals (issue 24, item 6): checked, bad, bytes read, time.
    const archived = await api.env.databases.batch.db.selectFrom('inscription_archive').select('size_bytes').execute();
    const defenses = await api.env.databases.batch.db.selectFrom('defense_archive').select('size_bytes').execute();
    const count = archived.length + defenses.length;
    expect(verified.stdout.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^total: ${count} archives checked, 1 bad; \\d+(\\.\\d)? (B|KB|MB) read in \\d+\\.\\d\\d s$`));
    const json = await runCli(['archive', 'verify', '--json'], env);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { archives: { type: string; originalId: number; result: string }[]; totals: Record<string, number> };
    expect(report.archives).toContainEqual(expect.objectContaining({ type: 'inscription', originalId: 2, result: 'bad' }));
    expect(report.totals).toMatchObject({ archives: count, checked: count, ok: count - 1, bad: 1, shredded: 0 });
    expect(report.totals.bytesRead).toBe([...archived, ...defenses].reduce((sum, r) => sum + Number(r.size_bytes), 0));
    expect(report.totals.durationMs).toBeGreaterThanOrEqual(0);
    writeFileSync(row.archive_path, pristine);

    const rewrapped = await runCli(['archive', 'rewrap'], { ...env, ARCHIVE_KEYS: `${newKey},${oldKey}` });
    expect(rewrapped.code, rewrapped.stderr).toBe(0);
    expect(rewrapped.stdout).toMatch(/3 archive\(s\) re-wrapped under key k2/);
    // The old key can go now.
    expect((await runCli(['archive', 'verify'], { ...env, ARCHIVE_KEYS: newKey })).code).toBe(0);

    expect((await runCli(['archive', 'shred', 'inscription', '2'], { ...env, ARCHIVE_KEYS: newKey })).code).toBe(2);
    const shredded = await runCli(['archive', 'shred', 'inscription', '2', '--yes'], { ...env, ARCHIVE_KEYS: newKey });
    expect(shredded.code, shredded.stderr).toBe(0);
    const out2 = mkdtempSync(path.join(tmpdir(), 'restore-'));
    try {
      const refused = await runCli(['archive', 'restore', 'inscription', '2', '--out', out2], { ...env, ARCHIVE_KEYS: newKey });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/the archive of inscription 2 was shredded on \S+ \(an erasure request\).*; nothing to restore/);
    } finally {
      rmSync(out2, { recursive: true, force: true });
    }
    expect((await api.call('/api/batch/archives/inscription/2/download')).status).toBe(410);
    const actions = (await api.app.audit.list(0, 50)).items.map((e) => e.action);
    expect(actions).toContain('ARCHIVE_SHRED');
    expect(actions.filter((a) => a === 'ARCHIVE_ACCESS').length).toBeGreaterThanOrEqual(4);
  }, 180_000); // a dozen CLI processes: about 50 s on a loaded machine
});
