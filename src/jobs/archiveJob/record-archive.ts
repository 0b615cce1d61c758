/**
 * One record's archive (4.3, 4.5): a ZIP of its documents under their `chemin`, with
 * `record.json` (the original row) and `manifest.json` (name, size, SHA-256 of each
 * document), encrypted (security/archive-envelope.ts), built under a temporary name,
 * flushed, renamed, its directory flushed; then verified by decrypting it and hashing
 * every entry against the manifest. Documents are read from UPLOADS_DIR only: a `chemin`
 * that leaves it, a symlink, a missing or unreadable file makes the record a bad item
 * (skipped and recorded), never an archive without its documents.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { decryptArchive, encryptArchive, type MasterKeys } from '../../security/archive-envelope.js';
import { openRegularFile } from '../../security/regular-file.js';

export type ArchiveType = 'inscription' | 'defense';

/** A record that cannot be archived as it is: skipped, with the reason, nothing of it changed. */
export class UnarchivableRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnarchivableRecordError';
  }
}

export interface DocumentEntry {
  readonly chemin: string;
  readonly size: number;
  readonly sha256: string;
}

export interface BuiltArchive {
  readonly path: string;
  readonly sizeBytes: number;
  /** SHA-256 of the encrypted file. */
  readonly sha256: string;
  readonly documents: readonly DocumentEntry[];
  readonly keyId: string;
}

/** Already-compressed formats gain nothing from deflate: stored (STACK-NOTES). */
const STORED = /\.(pdf|jpe?g|png|gif|docx|xlsx|pptx|odt|zip|gz|7z)$/i;

export function archivePathOf(archivesDir: string, type: ArchiveType, originalId: number): string {
  return path.join(archivesDir, type, `${type}-${originalId}.bsarc`);
}

/**
 * The file a `chemin` names, only inside UPLOADS_DIR and only a regular file. The
 * directories on the way are resolved (realpath): a `chemin` whose folder is a symbolic
 * link leading out of UPLOADS_DIR would otherwise be archived and then *deleted* outside
 * it (`uploads/ins/7 -> /elsewhere`, `ins/7/victim.pdf`). The path returned is the
 * resolved one, so whatever later reads or deletes the file acts where it was checked.
 */
export async function documentFile(uploadsDir: string, chemin: string): Promise<string> {
  const root = path.resolve(uploadsDir);
  const normalized = path.normalize(chemin);
  if (path.isAbsolute(chemin) || normalized.startsWith('..') || normalized.split(path.sep).includes('..')) {
    throw new UnarchivableRecordError(`document "${chemin}" leaves UPLOADS_DIR`);
  }
  const file = path.join(root, normalized);
  if (!file.startsWith(root + path.sep)) throw new UnarchivableRecordError(`document "${chemin}" leaves UPLOADS_DIR`);
  const unreadable = (error: NodeJS.ErrnoException) => {
    throw new UnarchivableRecordError(error.code === 'ENOENT' ? `document "${chemin}" is missing` : `document "${chemin}" cannot be read (${error.code})`);
  };
  const [realRoot, realFolder] = await Promise.all([realpath(root).catch(unreadable), realpath(path.dirname(file)).catch(unreadable)]);
  if (realFolder !== realRoot && !realFolder.startsWith(realRoot + path.sep)) {
    throw new UnarchivableRecordError(`document "${chemin}" lies behind a symbolic link that leads out of UPLOADS_DIR (to ${realFolder}); it is neither archived nor deleted`);
  }
  const real = path.join(realFolder, path.basename(file));
  const stats = await lstat(real).catch(unreadable);
  if (stats.isSymbolicLink()) throw new UnarchivableRecordError(`document "${chemin}" is a symbolic link; archives hold files only`);
  if (!stats.isFile()) throw new UnarchivableRecordError(`document "${chemin}" is not a regular file`);
  return real;
}

export interface RecordToArchive {
  readonly type: ArchiveType;
  readonly originalId: number;
  readonly row: Readonly<Record<string, unknown>>;
  readonly chemins: readonly string[];
  /** An earlier run recorded its archive and did not finish: its documents may be partly deleted already. */
  readonly resumed: boolean;
}

/**
 * The points between the saga's steps, named for the fault-injection tests that kill a
 * process at each of them (test/fixtures/archive-child.ts); production passes no hook.
 */
export type SagaBoundary = 'temp-written' | 'renamed' | 'row-inserted' | 'flagged' | 'first-file-deleted';

/** Builds, flushes and renames the archive, then verifies it; returns what to record. */
export async function buildArchive(
  record: RecordToArchive,
  dirs: { uploadsDir: string; archivesDir: string },
  keys: MasterKeys,
  archivedAt: Date,
  boundary: (at: SagaBoundary) => void = () => undefined,
): Promise<BuiltArchive> {
  const files = await Promise.all(record.chemins.map(async (chemin) => ({ chemin, file: await documentFile(dirs.uploadsDir, chemin) })));
  const target = archivePathOf(dirs.archivesDir, record.type, record.originalId);
  const temporary = `${target}.tmp`;
  await mkdir(path.dirname(target), { recursive: true });
  // Each document is read once: hashed on its way into the ZIP. The manifest, which needs
  // those hashes, is the last entry, added once every document has gone through.
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(JSON.stringify(record.row, null, 2)), 'record.json');
  const hashed = files.map(({ chemin, file }) => {
    const hash = createHash('sha256');
    let size = 0;
    const source = createReadStream(file);
    let done: (entry: DocumentEntry) => void = () => undefined;
    // A Transform, not a 'data' listener: the bytes flow only when yazl reads this entry.
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
      flush(callback) {
        done({ chemin, size, sha256: hash.digest('hex') });
        callback();
      },
    });
    // The read error reaches the caller through `entry`; the stream's own error event must
    // not become an uncaught exception that ends the process.
    tap.on('error', () => undefined);
    const entry = new Promise<DocumentEntry>((resolve, reject) => {
      done = resolve;
      source.on('error', (error: NodeJS.ErrnoException) => {
        const problem = new UnarchivableRecordError(`document "${chemin}" cannot be read (${error.code ?? error.message})`);
        tap.destroy(problem);
        reject(problem);
      });
    });
    entry.catch(() => undefined);
    zip.addReadStream(source.pipe(tap), chemin.split(path.sep).join('/'), { compress: !STORED.test(chemin) });
    return entry;
  });
  const fileHash = createHash('sha256');
  let sizeBytes = 0;
  const measure = new PassThrough();
  measure.on('data', (chunk: Buffer) => {
    fileHash.update(chunk);
    sizeBytes += chunk.length;
  });
  const written = pipeline(zip.outputStream, encryptArchive(keys.current), measure, createWriteStream(temporary));
  written.catch(() => undefined);
  let documents: DocumentEntry[];
  try {
    // A write failure (a full disk) stops the documents' flow: it must end the wait too.
    documents = await Promise.race([
      Promise.all(hashed),
      written.then(() => Promise.reject(new Error(`archive of ${record.type} ${record.originalId}: the ZIP ended before its documents`))),
    ]);
    zip.addBuffer(Buffer.from(JSON.stringify({ format: 1, type: record.type, originalId: record.originalId, archivedAt: archivedAt.toISOString(), documents }, null, 2)), 'manifest.json');
    zip.end();
    await written;
    const handle = await open(temporary, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    boundary('temp-written');
    await rename(temporary, target);
    const dir = await open(path.dirname(target), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (error) {
    (zip.outputStream as Readable).destroy();
    await written.catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  boundary('renamed');
  const built = { path: target, sizeBytes, sha256: fileHash.digest('hex'), documents, keyId: keys.current.id };
  await verifyArchive(built.path, keys, { sha256: built.sha256, documents });
  return built;
}

export interface ArchiveContents {
  readonly manifest: { readonly documents: readonly DocumentEntry[] } & Record<string, unknown>;
  readonly record: Record<string, unknown>;
  /** Each document's bytes by `chemin`. */
  readonly documents: ReadonlyMap<string, Buffer>;
}

/** The decrypted ZIP, whole, and the SHA-256 of the file it came from, in one read. */
async function decrypt(file: string, keys: MasterKeys): Promise<{ zip: Buffer; fileSha256: string }> {
  const chunks: Buffer[] = [];
  const fileHash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      fileHash.update(chunk);
      callback(null, chunk);
    },
  });
  const collect = new PassThrough();
  collect.on('data', (chunk: Buffer) => chunks.push(chunk));
  // A FIFO in the archive's place must fail at once, not hold a pool thread (issue 22, item 4).
  const { handle } = await openRegularFile(file);
  await pipeline(handle.createReadStream(), hashing, decryptArchive(keys), collect);
  return { zip: Buffer.concat(chunks), fileSha256: fileHash.digest('hex') };
}

/** The decrypted ZIP, whole: a truncated or altered file throws before any byte is returned. */
export async function decryptedZip(file: string, keys: MasterKeys): Promise<Buffer> {
  return (await decrypt(file, keys)).zip;
}

/** Decrypts the whole archive and reads its ZIP: throws on any integrity failure. */
export async function openArchive(file: string, keys: MasterKeys): Promise<ArchiveContents> {
  return contentsOf(await decryptedZip(file, keys));
}

async function contentsOf(zip: Buffer): Promise<ArchiveContents> {
  const entries = await unzip(zip);
  const json = (name: string) => JSON.parse(entries.get(name)?.toString('utf8') ?? 'null') as Record<string, unknown>;
  const documents = new Map([...entries].filter(([name]) => name !== 'manifest.json' && name !== 'record.json'));
  return { manifest: json('manifest.json') as ArchiveContents['manifest'], record: json('record.json'), documents };
}

/**
 * The archive decrypts, its file hash is the recorded one, and every document it holds
 * has the size and SHA-256 of its manifest (and of the originals, when given).
 */
export async function verifyArchive(file: string, keys: MasterKeys, expected: { sha256: string; documents?: readonly DocumentEntry[] }): Promise<ArchiveContents> {
  const { zip, fileSha256 } = await decrypt(file, keys);
  if (fileSha256 !== expected.sha256) throw new Error(`archive ${file}: its SHA-256 is not the recorded one`);
  const contents = await contentsOf(zip);
  const listed = expected.documents ?? contents.manifest.documents;
  for (const doc of listed) {
    const bytes = contents.documents.get(doc.chemin.split(path.sep).join('/'));
    if (!bytes || bytes.length !== doc.size || createHash('sha256').update(bytes).digest('hex') !== doc.sha256) {
      throw new Error(`archive ${file}: document "${doc.chemin}" does not match the original`);
    }
  }
  return contents;
}

function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, archive) => {
      if (error || !archive) return reject(error ?? new Error('not a ZIP'));
      const entries = new Map<string, Buffer>();
      archive.on('entry', (entry: yauzl.Entry) => {
        archive.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error(`cannot read ${entry.fileName}`));
          const parts: Buffer[] = [];
          stream.on('data', (part: Buffer) => parts.push(part));
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(parts));
            archive.readEntry();
          });
          stream.on('error', reject);
        });
      });
      archive.on('end', () => resolve(entries));
      archive.on('error', reject);
      archive.readEntry();
    });
  });
}
