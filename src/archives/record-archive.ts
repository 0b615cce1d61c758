/**
 * One record's archive (4.3, 4.5): a ZIP of its documents under their `chemin`, with
 * `record.json` (the original row) and `manifest.json` (name, size, SHA-256 of each
 * document), encrypted (archive-envelope.ts), built under a temporary name,
 * flushed, renamed, its directory flushed; then verified by authenticating every segment
 * and hashing every document against the manifest, segment by segment, never decrypted
 * whole. Documents are read from UPLOADS_DIR only: a `chemin` that leaves it, a symlink,
 * a missing or unreadable file makes the record a bad item (skipped and recorded), never
 * an archive without its documents.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, realpath, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { encryptArchive, type MasterKeys } from './archive-envelope.js';
import { openRegularFile } from '../security/regular-file.js';
import { SealedArchive } from './sealed-archive.js';
import { openSealedZip } from './sealed-zip.js';

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
  /** Every entry's name, documents, `manifest.json` and `record.json` included. */
  readonly entries: readonly string[];
}

/** A verified archive, still open: its entries can be read (each segment authenticated again). */
export interface OpenedArchive {
  readonly contents: ArchiveContents;
  /** One entry's bytes; to be read to its end before `readArchive`'s work returns (the file closes then). */
  entry(name: string): Promise<Readable>;
}

/**
 * The one place an archive file is opened for reading: a regular file only, so that a
 * FIFO in an archive's place fails at once instead of holding a thread of the pool.
 */
async function openArchiveFile(file: string): Promise<FileHandle> {
  return (await openRegularFile(file)).handle;
}

/**
 * Verifies the archive (`verifyArchive`), then lets `work` read its entries, all through
 * one file handle: in constant memory whatever the archive's size.
 */
export async function readArchive<T>(file: string, keys: MasterKeys, expected: { sha256: string; documents?: readonly DocumentEntry[] }, work: (archive: OpenedArchive) => Promise<T>): Promise<T> {
  const handle = await openArchiveFile(file);
  try {
    const sealed = await SealedArchive.open(handle, keys);
    const fileHash = createHash('sha256');
    await sealed.authenticate((bytes) => fileHash.update(bytes));
    if (fileHash.digest('hex') !== expected.sha256) throw new Error(`archive ${file}: its SHA-256 is not the recorded one`);
    const zip = await openSealedZip(sealed);
    try {
      const json = async (name: string) => JSON.parse((zip.entries.has(name) ? await zip.bytes(name) : Buffer.from('null')).toString('utf8')) as Record<string, unknown>;
      const contents: ArchiveContents = { manifest: (await json('manifest.json')) as ArchiveContents['manifest'], record: await json('record.json'), entries: [...zip.entries.keys()] };
      for (const doc of expected.documents ?? contents.manifest.documents) {
        const name = doc.chemin.split(path.sep).join('/');
        const found = zip.entries.has(name) ? await measured(await zip.open(name)) : undefined;
        if (found?.size !== doc.size || found.sha256 !== doc.sha256) throw new Error(`archive ${file}: document "${doc.chemin}" does not match the original`);
      }
      return await work({ contents, entry: (name) => zip.open(name) });
    } finally {
      zip.close();
    }
  } finally {
    await handle.close();
  }
}

/**
 * The archive authenticates whole, its file hash is the recorded one, and every document
 * it holds has the size and SHA-256 of its manifest (and of the originals, when given).
 * Two passes over the file: every segment and the file's hash, then the ZIP read in place.
 */
export function verifyArchive(file: string, keys: MasterKeys, expected: { sha256: string; documents?: readonly DocumentEntry[] }): Promise<ArchiveContents> {
  return readArchive(file, keys, expected, async ({ contents }) => contents);
}

async function measured(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

export interface AuthenticatedPlaintext {
  readonly sizeBytes: number;
  /** The ZIP; closes the file when it ends or is destroyed. */
  readonly stream: Readable;
}

/**
 * The decrypted ZIP for a download, in two passes over one file handle: first every
 * segment and the end of the file are authenticated, nothing kept (a damaged or truncated
 * archive throws here, before anything is handed out); then the stream, which checks
 * every segment again and errors at the first one that no longer authenticates.
 */
export async function authenticatedPlaintext(file: string, keys: MasterKeys): Promise<AuthenticatedPlaintext> {
  const handle = await openArchiveFile(file);
  try {
    const sealed = await SealedArchive.open(handle, keys);
    await sealed.authenticate();
    const stream = sealed.plaintext();
    stream.once('close', () => void handle.close().catch(() => undefined));
    return { sizeBytes: sealed.plaintextBytes, stream };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
