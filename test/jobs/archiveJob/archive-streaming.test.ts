/**
 * Archives read segment by segment, on a record of a few megabytes (some 70 segments):
 * verification and the download give the archive whole; the download sends no byte of an
 * archive that does not authenticate whole (a segment changed anywhere, the last one
 * included, or the file cut); a segment changed between its two passes cuts the response
 * short, while a file renamed over the archive meanwhile is not read; HEAD answers from
 * the catalogue: the download's headers, no audit entry, the file not read at all.
 */
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import yauzl from 'yauzl';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyArchive } from '../../../src/archives/record-archive.js';
import { ArchiveIntegrityError, decryptArchive, encryptArchive, SEGMENT_SIZE, type MasterKeys } from '../../../src/archives/archive-envelope.js';
import type { AuditEvent } from '../../../src/security/audit-log.js';
import { dialects } from '../../support/databases.js';
import { startApi, type Api } from '../../http/api-harness.js';
import { KEY, RUN_AT } from './fixtures.js';

const keys: MasterKeys = { current: { id: 'k1', key: KEY }, byId: new Map([['k1', { id: 'k1', key: KEY }]]) };
const PIECE = SEGMENT_SIZE + 16;
const HEADER = 81 + 'k1'.length;
const DOWNLOAD = '/api/batch/archives/inscription/1/download';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(stream, new Writable({ write: (chunk: Buffer, _e, cb) => void (chunks.push(chunk), cb()) }));
  return Buffer.concat(chunks);
}

/** Every body byte that arrived, and whether the body ended short of its length. */
async function receive(response: Response): Promise<{ bytes: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const part of response.body ?? []) parts.push(Buffer.from(part));
    return { bytes: Buffer.concat(parts) };
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  }
}

function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => {
      if (error || !file) return reject(error ?? new Error('not a ZIP'));
      const entries = new Map<string, Buffer>();
      file.on('entry', (entry: yauzl.Entry) =>
        file.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error(entry.fileName));
          void collect(stream).then((bytes) => (entries.set(entry.fileName, bytes), file.readEntry()), reject);
        }),
      );
      file.on('end', () => resolve(entries));
      file.on('error', reject);
      file.readEntry();
    }),
  );
}

describe.each(dialects)('archives read segment by segment (%s)', (dialect) => {
  let api: Api;
  let file: string;
  let sha256: string;
  let pristine: Buffer;
  const documents = new Map<string, Buffer>();
  const accesses = async () => (await api.app.audit.list(0, 100)).items.filter((e) => e.action === 'ARCHIVE_ACCESS').length;

  beforeAll(async () => {
    api = await startApi(dialect, { env: { ARCHIVE_KEYS: `k1:${KEY.toString('base64')}` } });
    const at = '2024-01-01 00:00:00';
    await api.env.databases.inscription.db
      .insertInto('inscriptions')
      .values({ id: 1, doctorant_id: 101, directeur_id: null, sujet_these: 'Sujet', annee_universitaire: '2023-2024', type: 'PREMIERE', date_inscription: '2023-10-01', date_premiere_inscription: '2023-10-01', statut: 'VALIDÉ', motif_suspension: null, archived: 0, created_at: at, updated_at: '2025-06-01 10:00:00' })
      .execute();
    // Stored, incompressible: the ZIP is about as long as the document, so about 65 segments.
    documents.set('inscriptions/1/dossier.pdf', randomBytes(4 * 1024 * 1024 + 777));
    documents.set('inscriptions/1/notes.txt', Buffer.from('Compte rendu de la commission : avis favorable.\n'.repeat(20_000)));
    for (const [chemin, bytes] of documents) {
      const target = path.join(api.env.config.uploadsDir, chemin);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, bytes);
    }
    await api.env.databases.inscription.db
      .insertInto('documents')
      .values([...documents].map(([chemin, bytes]) => ({ inscription_id: 1, type: 'PIECE', nom_fichier: path.basename(chemin), chemin, taille: bytes.length, created_at: at })))
      .execute();
    const done = await (await api.app.operator.start('archiveJob', { parameters: { runAt: RUN_AT }, trigger: 'CLI' })).done;
    expect(done.status, done.exitMessage ?? '').toBe('COMPLETED');
    const row = await api.env.databases.batch.db.selectFrom('inscription_archive').selectAll().where('original_id', '=', 1).executeTakeFirstOrThrow();
    file = row.archive_path;
    sha256 = row.sha256;
    pristine = readFileSync(file);
    expect(Math.ceil((pristine.length - HEADER) / PIECE)).toBeGreaterThan(60);
  });
  afterAll(() => api?.close());
  afterEach(() => {
    if (!existsSync(file) || !readFileSync(file).equals(pristine)) writeFileSync(file, pristine);
  });

  it('verification and the download give the whole multi-segment archive; HEAD gives the download’s headers', async () => {
    const contents = await verifyArchive(file, keys, { sha256 });
    expect(contents.manifest.documents.map((d) => d.chemin).sort()).toEqual([...documents.keys()].sort());

    const before = await accesses();
    const download = await api.call(DOWNLOAD);
    expect(download.status).toBe(200);
    const zip = Buffer.from(await download.arrayBuffer());
    expect(Number(download.headers.get('content-length'))).toBe(zip.length);
    // The same bytes as the envelope's own sequential decryption of the file.
    expect(zip.equals(await collect(createReadStream(file).pipe(decryptArchive(keys))))).toBe(true);
    const entries = await unzip(zip);
    for (const [chemin, bytes] of documents) expect(entries.get(chemin)?.equals(bytes), chemin).toBe(true);
    expect(await accesses()).toBe(before + 1);

    const head = await api.call(DOWNLOAD, { method: 'HEAD' });
    expect(head.status).toBe(200);
    for (const name of ['content-type', 'content-length', 'content-disposition']) expect(head.headers.get(name), name).toBe(download.headers.get(name));
    expect(await accesses()).toBe(before + 1);
  });

  it('a segment changed anywhere, the last one and its tag included, or the file cut: the download sends no byte of it', async () => {
    const pieceAt = (i: number) => HEADER + i * PIECE;
    const last = Math.floor((pristine.length - HEADER) / PIECE);
    const damaged: [string, Buffer][] = [];
    for (const at of [pieceAt(0) + 3, pieceAt(31) + 4000, pieceAt(last) + 2, pristine.length - 1]) {
      const bytes = Buffer.from(pristine);
      bytes[at]! ^= 0x20;
      damaged.push([`byte ${at} changed`, bytes]);
    }
    for (const length of [pieceAt(last), pieceAt(last) + 5, pristine.length - 1, pieceAt(40) + 100]) damaged.push([`cut at ${length}`, pristine.subarray(0, length)]);
    for (const [label, bytes] of damaged) {
      writeFileSync(file, bytes);
      const response = await api.call(DOWNLOAD);
      expect(response.status, label).toBe(500);
      expect(response.headers.get('content-type'), label).toMatch(/^application\/problem\+json/);
      const body = await receive(response);
      expect(body.error, label).toBeUndefined();
      expect(body.bytes.includes(Buffer.from('PK\x03\x04', 'latin1')), label).toBe(false);
      expect(body.bytes.toString('utf8'), label).toMatch(/does not decrypt/);
      await expect(verifyArchive(file, keys, { sha256 }), label).rejects.toBeInstanceOf(ArchiveIntegrityError);
    }
  });

  it('between the two passes: a segment changed cuts the response short; a file renamed over the archive is not read', async () => {
    const audit = api.app.audit;
    const append = audit.append.bind(audit);
    // The download is audited once its first pass is done and before its second begins.
    const between = (act: () => Promise<void> | void) => {
      audit.append = async (event: AuditEvent) => {
        const entry = await append(event);
        if ((event.details as { operation?: string } | undefined)?.operation === 'download') await act();
        return entry;
      };
    };
    const alterInPlace = async (at: number) => {
      const handle = await open(file, 'r+');
      try {
        await handle.write(Buffer.from([pristine[at]! ^ 0x01]), 0, 1, at);
      } finally {
        await handle.close();
      }
    };
    try {
      between(() => alterInPlace(pristine.length - 3));
      const cut = await api.call(DOWNLOAD);
      // The first segments had authenticated and gone out: the status was sent, the body is cut.
      expect(cut.status).toBe(200);
      const length = Number(cut.headers.get('content-length'));
      const body = await receive(cut);
      expect(body.error).toBeDefined();
      expect(body.bytes.length).toBeLessThan(length);

      writeFileSync(file, pristine);
      between(() => alterInPlace(HEADER + 5));
      const refused = await api.call(DOWNLOAD);
      expect(refused.status).toBe(500);
      expect((await receive(refused)).bytes.includes(Buffer.from('PK\x03\x04', 'latin1'))).toBe(false);

      writeFileSync(file, pristine);
      const other = `${file}.other`;
      // Another valid archive under the same key, put in place by a rename.
      await pipeline(
        (async function* () {
          yield randomBytes(pristine.length);
        })(),
        encryptArchive(keys.current),
        (await open(other, 'w')).createWriteStream(),
      );
      between(() => renameSync(other, file));
      const whole = await api.call(DOWNLOAD);
      expect(whole.status).toBe(200);
      const zip = await receive(whole);
      expect(zip.error).toBeUndefined();
      expect((await unzip(zip.bytes)).get('inscriptions/1/dossier.pdf')?.equals(documents.get('inscriptions/1/dossier.pdf')!)).toBe(true);
    } finally {
      audit.append = append;
    }
  });

  it('HEAD answers from the catalogue: no audit entry, and the same answer with the file gone (GET then fails)', async () => {
    const expected = await api.call(DOWNLOAD, { method: 'HEAD' });
    expect(expected.status).toBe(200);
    expect(expected.headers.get('content-type')).toBe('application/zip');
    expect(expected.headers.get('content-disposition')).toBe('attachment; filename="inscription-1.zip"');
    const before = await accesses();
    renameSync(file, `${file}.away`);
    try {
      const head = await api.call(DOWNLOAD, { method: 'HEAD' });
      expect(head.status).toBe(200);
      for (const name of ['content-type', 'content-length', 'content-disposition']) expect(head.headers.get(name), name).toBe(expected.headers.get(name));
      expect(await accesses()).toBe(before);
      // The GET reads the file: a 404 naming what is wrong with it (as for a FIFO in its place).
      const gone = await api.call(DOWNLOAD);
      expect(gone.status).toBe(404);
      expect(((await gone.json()) as { detail: string }).detail).toMatch(/^the archive file of inscription 1 .*; run batch-service archive verify$/);
    } finally {
      renameSync(`${file}.away`, file);
    }
    expect((await api.call('/api/batch/archives/inscription/9/download', { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(`${api.base}${DOWNLOAD}`, { method: 'HEAD' })).status).toBe(401);
  });
});
