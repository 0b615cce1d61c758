/**
 * 5.8, 5.9 (Property 36): files in UPLOADS_DIR that no document row references and that
 * nobody touched for 24 hours, and their move to `orphelins/`.
 *
 * Names are compared in NFC. macOS clients and some upload paths write names decomposed
 * (NFD: `the` + `e` + U+0300 + `se.pdf`), while `chemin` holds what the platform typed,
 * usually composed: the same `thèse.pdf` differs byte for byte, and a byte comparison would
 * call a referenced file an orphan. The lookup therefore gets NFC paths; each orphan also
 * keeps its on-disk path, the only one that opens it.
 *
 * Symbolic links are never followed nor moved: a link to a file elsewhere is not ours to
 * move, and a link to a directory could walk outside the tree or loop. They are reported so
 * the job can log them. Only regular files can be orphans.
 *
 * The walk streams: a stack of directory paths still to read, one directory's listing at a
 * time (read in one call: a directory of 100,000 names is one listing, the tree of 100,000
 * files is not), and at most `batchSize` files held before the lookup.
 * Listings are read synchronously, in slices of at most `SLICE_MS` between which the event
 * loop runs (heartbeats, HTTP): through libuv's thread pool each of the tens of thousands
 * of directory reads cost a round trip several times the call itself (measured: 5× slower
 * than `find` with 16 reads in flight, against about 1.5× this way).
 * Every file is looked up by name first; only those no row references are `lstat`ed (to
 * check they are still regular files and old enough): at 95% referenced, 20 times fewer
 * calls than `lstat`ing every entry. A young file may therefore be looked up; it is never
 * an orphan.
 *
 * Move order (the crash paragraph): `link(src, dst)` then `unlink(src)`. `link` fails with
 * EEXIST instead of replacing, so an earlier orphan of the same name is never lost (rename
 * would silently overwrite it); the name then gets a ` (n)` suffix. A crash between the two
 * calls leaves the file under both names; the next run finds the same dev+ino at `dst` and
 * only unlinks `src`. The reverse order, or copy then delete, could lose the file.
 *
 * Both folders are checked on disk before the move (security/folder-on-disk.ts): a link
 * put in place of a folder after the walk, or an `orphelins/` that is a link, would move
 * or unlink a file outside UPLOADS_DIR.
 */
import type { BigIntStats } from 'node:fs';
import type { Dirent } from 'node:fs';
import { readdirSync } from 'node:fs';
import { link, lstat, mkdir, unlink } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import path from 'node:path';
import { isRealFolderUnder } from '../../security/folder-on-disk.js';

export const ORPHANS_DIR = 'orphelins';
const YOUTH_MS = 24 * 3_600_000;
/** Names per lookup: on MariaDB each lookup is a network round trip; 2,000 halves the walk's time against 500 (bench/README.md). */
const DEFAULT_BATCH_SIZE = 2_000;
/** Longest stretch of synchronous directory reads before the event loop gets a turn. */
const SLICE_MS = 10;
/** `lstat`s of unreferenced files in flight at once. */
const STATS_AT_ONCE = 64;

export interface OrphanScanOptions {
  readonly uploadsDir: string;
  readonly runAt: Date;
  /** Of the given NFC relative paths ('/'-separated), those a document row references (compared after NFC normalisation). */
  readonly referenced: (chemins: readonly string[]) => Promise<ReadonlySet<string>>;
  readonly batchSize?: number;
  /** Checked between batches: an aborted signal throws its reason. */
  readonly signal?: AbortSignal;
}

export interface OrphanFile {
  /** Relative path as on disk, with '/' separators. */
  readonly path: string;
  /** The same, NFC-normalised. */
  readonly chemin: string;
  readonly size: number;
  readonly mtime: Date;
}

/** `filesSeen`: regular files (young or old, outside `orphelins/`) met since the previous batch. */
export interface ScanBatch {
  readonly orphans: readonly OrphanFile[];
  readonly symlinksSkipped: readonly string[];
  readonly filesSeen: number;
}

const hasCode = (error: unknown, codes: readonly string[]) => codes.includes((error as NodeJS.ErrnoException | undefined)?.code ?? '');

/** Entries vanish while we walk (an upload replaced, a document deleted): not an error, they are simply gone. */
async function unlessGone<T>(operation: Promise<T>, codes: readonly string[] = ['ENOENT']): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error) {
    if (hasCode(error, codes)) return undefined;
    throw error;
  }
}

const onDisk = (root: string, relative: string) => (relative === '' ? root : path.join(root, ...relative.split('/')));

/**
 * Walks UPLOADS_DIR (not orphelins/), yields one batch per lookup call. A batch holding
 * only symlinks is yielded without a lookup; the last batch carries the remainder. Orphans can be moved between batches: the walk never enters `orphelins/`.
 *
 * @example
 * for await (const batch of scanOrphans({ uploadsDir, runAt, referenced: (chemins) => referencedChemins(db, chemins) })) {
 *   for (const orphan of batch.orphans) await moveOrphan(uploadsDir, orphan.path);
 * }
 */
export async function* scanOrphans(options: OrphanScanOptions): AsyncGenerator<ScanBatch> {
  const { uploadsDir, signal } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`scanOrphans: batchSize must be a positive integer, got ${batchSize}`);
  }
  let files: string[] = [];
  let symlinks: string[] = [];
  const waiting = [''];
  let sliceStart = performance.now();
  let inFlight: Promise<ScanBatch> | undefined;
  for (let directory = waiting.pop(); directory !== undefined; directory = waiting.pop()) {
    // A tree of directories without files never fills a batch; checking here keeps a stop prompt.
    signal?.throwIfAborted();
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
    let listing: Dirent[] = [];
    try {
      listing = readdirSync(onDisk(uploadsDir, directory), { withFileTypes: true });
    } catch (error) {
      // ENOTDIR: the directory was replaced by a file after we listed it.
      if (!hasCode(error, ['ENOENT', 'ENOTDIR'])) throw error;
    }
    for (const entry of listing) {
      if (directory === '' && entry.name === ORPHANS_DIR) continue;
      const relative = directory === '' ? entry.name : `${directory}/${entry.name}`;
      // The entry's type is lstat's: readdir never follows a link.
      if (entry.isSymbolicLink()) symlinks.push(relative);
      else if (entry.isDirectory()) waiting.push(relative);
      else if (entry.isFile()) files.push(relative);
      if (files.length + symlinks.length >= batchSize) {
        // This batch's lookup runs while the walk lists the next one (on MariaDB it is a
        // network round trip the event loop waits for between slices); batches still come
        // out in order, one lookup ahead at most.
        const next = settle(files, symlinks, options);
        next.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
        if (inFlight) yield await inFlight;
        inFlight = next;
        files = [];
        symlinks = [];
        sliceStart = performance.now();
      }
    }
  }
  if (inFlight) yield await inFlight;
  if (files.length + symlinks.length > 0) yield await settle(files, symlinks, options);
}

async function settle(files: readonly string[], symlinksSkipped: readonly string[], options: OrphanScanOptions): Promise<ScanBatch> {
  options.signal?.throwIfAborted();
  // 5.8: "unmodified for 24 hours"; an mtime after runAt (clock skew, a future runAt) is young too.
  const cutoff = options.runAt.getTime() - YOUTH_MS;
  const named = files.map((path) => ({ path, chemin: path.normalize('NFC') }));
  const known = named.length === 0 ? new Set<string>() : await options.referenced(named.map((f) => f.chemin));
  const unreferenced = named.filter((f) => !known.has(f.chemin));
  const orphans: OrphanFile[] = [];
  for (let i = 0; i < unreferenced.length; i += STATS_AT_ONCE) {
    const slice = unreferenced.slice(i, i + STATS_AT_ONCE);
    const stats = await Promise.all(slice.map((f) => unlessGone(lstat(onDisk(options.uploadsDir, f.path)))));
    slice.forEach((file, k) => {
      const s = stats[k];
      // Gone, or no longer a regular file since it was listed: not the file that was found.
      if (s?.isFile() && s.mtimeMs <= cutoff) orphans.push({ ...file, size: s.size, mtime: s.mtime });
    });
  }
  return { orphans, symlinksSkipped, filesSeen: files.length };
}

/**
 * Moves one orphan under orphelins/ without ever overwriting; returns the destination relative path ('/'-separated), or undefined when the file vanished.
 * A path that is no longer a regular file (replaced by a link or a directory since the
 * scan) counts as vanished: it is not the file that was found orphaned.
 *
 * @example
 * await moveOrphan(uploadsDir, 'x/a.pdf'); // 'orphelins/x/a.pdf', or 'orphelins/x/a (1).pdf' when taken
 */
export async function moveOrphan(uploadsDir: string, relativePath: string): Promise<string | undefined> {
  const parts = relativePath.split('/');
  const name = parts.pop();
  if (name === undefined || parts[0] === ORPHANS_DIR || [name, ...parts].some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`moveOrphan: "${relativePath}" is not a file path under ${uploadsDir} outside ${ORPHANS_DIR}/; pass the path of an OrphanFile from scanOrphans`);
  }
  const source = path.join(uploadsDir, ...parts, name);
  // The walk never follows a link, so the file it found sits in a real folder under
  // UPLOADS_DIR. A folder on the way replaced by a link since would make this move act
  // outside the tree (link then unlink there): that is not the file that was found.
  if (!(await isRealFolderUnder(uploadsDir, parts))) return undefined;
  // bigint: inode numbers can exceed 2^53 on some filesystems, and dev+ino identify the file.
  const file = await unlessGone(lstat(source, { bigint: true }));
  if (!file?.isFile()) return undefined;
  const target = [ORPHANS_DIR, ...parts];
  // orphelins/ (or a folder in it) being a link would carry the file out of UPLOADS_DIR.
  if (!(await isRealFolderUnder(uploadsDir, target))) throw new OrphansOutsideError(uploadsDir, target.join('/'));
  await mkdir(path.join(uploadsDir, ...target), { recursive: true });
  const extension = path.extname(name);
  const stem = name.slice(0, name.length - extension.length);
  for (let n = 0; ; n += 1) {
    const candidate = n === 0 ? name : `${stem} (${n})${extension}`;
    const placed = await linkOnce(source, path.join(uploadsDir, ...target, candidate), file);
    if (placed === 'vanished') return undefined;
    if (placed === 'linked') {
      await unlessGone(unlink(source));
      return [...target, candidate].join('/');
    }
  }
}

/** `orphelins/…` leads out of UPLOADS_DIR through a symbolic link: no orphan is moved there. */
export class OrphansOutsideError extends Error {
  constructor(uploadsDir: string, folder: string) {
    super(`${path.join(uploadsDir, ...folder.split('/'))} is or lies behind a symbolic link: orphans are moved only to a real folder inside UPLOADS_DIR; replace the link by a folder`);
    this.name = 'OrphansOutsideError';
  }
}

async function linkOnce(source: string, destination: string, file: BigIntStats): Promise<'linked' | 'taken' | 'vanished'> {
  try {
    await link(source, destination);
    return 'linked';
  } catch (error) {
    if (hasCode(error, ['EEXIST'])) {
      const there = await unlessGone(lstat(destination, { bigint: true }));
      // A run that crashed between link and unlink left this very file here.
      return there !== undefined && there.dev === file.dev && there.ino === file.ino ? 'linked' : 'taken';
    }
    // ENOENT names either side; only a vanished source is the benign case.
    if (hasCode(error, ['ENOENT']) && (await unlessGone(lstat(source))) === undefined) return 'vanished';
    throw error;
  }
}
