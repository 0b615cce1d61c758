import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { moveOrphan, ORPHANS_DIR, OrphansOutsideError, scanOrphans, type OrphanScanOptions, type ScanBatch } from '../../../src/jobs/dataConsistencyJob/orphan-files.js';

const RUN_AT = new Date('2027-03-10T02:00:00Z');
const HOUR = 3_600_000;
const OLD = new Date(RUN_AT.getTime() - 48 * HOUR);

const NFC_THESE = 'th\u00e8se.pdf';
const NFD_THESE = 'the\u0300se.pdf';

let root: string;
let uploads: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'orphan-files-'));
  uploads = path.join(root, 'uploads');
  mkdirSync(uploads);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Writes a file under `dir` ('/'-separated relative path) with the given mtime. */
function put(dir: string, relative: string, content: string, mtime: Date = OLD): string {
  const file = path.join(dir, ...relative.split('/'));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  utimesSync(file, mtime, mtime);
  return file;
}

/** A lookup over a fake `documents.chemin` column, recording every call. */
function lookup(chemins: readonly string[] = []) {
  const known = new Set(chemins.map((c) => c.normalize('NFC')));
  const calls: string[][] = [];
  const referenced = async (asked: readonly string[]) => {
    calls.push([...asked]);
    return new Set(asked.filter((c) => known.has(c)));
  };
  return { calls, referenced };
}

async function scan(options: Partial<OrphanScanOptions> & Pick<OrphanScanOptions, 'referenced'>): Promise<ScanBatch[]> {
  const batches: ScanBatch[] = [];
  for await (const batch of scanOrphans({ uploadsDir: uploads, runAt: RUN_AT, ...options })) batches.push(batch);
  return batches;
}

const orphansOf = (batches: readonly ScanBatch[]) => batches.flatMap((b) => b.orphans);

describe('scanOrphans and moveOrphan', () => {
  it('matches an NFD name on disk against its NFC chemin', async () => {
    put(uploads, `docs/${NFD_THESE}`, 'thesis');
    const { calls, referenced } = lookup([`docs/${NFC_THESE}`]);

    const batches = await scan({ referenced });

    expect(calls).toEqual([[`docs/${NFC_THESE}`]]);
    expect(orphansOf(batches)).toEqual([]);
    expect(batches.reduce((n, b) => n + b.filesSeen, 0)).toBe(1);
  });

  it('hands the lookup NFC chemins only, so an NFC name on disk matches a row whose chemin was stored decomposed', async () => {
    put(uploads, `docs/${NFC_THESE}`, 'thesis');
    // The row holds NFD; a lookup that compares normalised forms (as the contract asks) finds it.
    const { calls, referenced } = lookup([`docs/${NFD_THESE}`]);

    expect(orphansOf(await scan({ referenced }))).toEqual([]);
    expect(calls).toEqual([[`docs/${NFC_THESE}`]]);
  });

  it('reports an unreferenced NFD file with its on-disk path and its NFC chemin, and moves it under its on-disk name', async () => {
    put(uploads, `docs/${NFD_THESE}`, 'decomposed');
    put(uploads, `docs/${NFC_THESE}`, 'composed');
    const { calls, referenced } = lookup();

    const orphans = orphansOf(await scan({ referenced }));

    expect(calls.flat()).toEqual([`docs/${NFC_THESE}`, `docs/${NFC_THESE}`]);
    expect(orphans.map((o) => [o.path, o.chemin]).sort()).toEqual(
      [
        [`docs/${NFD_THESE}`, `docs/${NFC_THESE}`],
        [`docs/${NFC_THESE}`, `docs/${NFC_THESE}`],
      ].sort(),
    );
    expect(orphans.find((o) => o.path === `docs/${NFD_THESE}`)).toMatchObject({ size: 10, mtime: OLD });
    expect(await moveOrphan(uploads, `docs/${NFD_THESE}`)).toBe(`${ORPHANS_DIR}/docs/${NFD_THESE}`);
    expect(readFileSync(path.join(uploads, ORPHANS_DIR, 'docs', NFD_THESE), 'utf8')).toBe('decomposed');
    expect(readdirSync(path.join(uploads, 'docs'))).toEqual([NFC_THESE]);
    expect(readFileSync(path.join(uploads, 'docs', NFC_THESE), 'utf8')).toBe('composed');
  });

  it('neither follows nor moves symlinks, to a file outside the tree or to a directory, and reports them', async () => {
    const outsideFile = put(root, 'outside/secret.pdf', 'not ours');
    put(root, 'outside/dir/inner.pdf', 'not ours either');
    symlinkSync(outsideFile, path.join(uploads, 'link.pdf'));
    symlinkSync(path.join(root, 'outside', 'dir'), path.join(uploads, 'linked-dir'));
    put(uploads, 'real.pdf', 'ours');
    const { calls, referenced } = lookup();

    const batches = await scan({ referenced });

    expect(batches.flatMap((b) => b.symlinksSkipped).sort()).toEqual(['link.pdf', 'linked-dir']);
    expect(orphansOf(batches).map((o) => o.path)).toEqual(['real.pdf']);
    expect(calls.flat()).toEqual(['real.pdf']);
    expect(await moveOrphan(uploads, 'link.pdf')).toBeUndefined();
    expect(lstatSync(path.join(uploads, 'link.pdf')).isSymbolicLink()).toBe(true);
    expect(readFileSync(outsideFile, 'utf8')).toBe('not ours');
    expect(statSync(outsideFile).mtime).toEqual(OLD);
    expect(existsSync(path.join(uploads, ORPHANS_DIR))).toBe(false);
  });

  it('adds a suffix before the extension on a name collision in orphelins/ and keeps the earlier orphan intact', async () => {
    const earlier = put(uploads, `${ORPHANS_DIR}/x/a.pdf`, 'earlier orphan');
    put(uploads, 'x/a.pdf', 'second');

    expect(await moveOrphan(uploads, 'x/a.pdf')).toBe(`${ORPHANS_DIR}/x/a (1).pdf`);
    put(uploads, 'x/a.pdf', 'third');
    expect(await moveOrphan(uploads, 'x/a.pdf')).toBe(`${ORPHANS_DIR}/x/a (2).pdf`);

    expect(readFileSync(earlier, 'utf8')).toBe('earlier orphan');
    expect(readFileSync(path.join(uploads, ORPHANS_DIR, 'x', 'a (1).pdf'), 'utf8')).toBe('second');
    expect(readFileSync(path.join(uploads, ORPHANS_DIR, 'x', 'a (2).pdf'), 'utf8')).toBe('third');
    expect(readdirSync(path.join(uploads, 'x'))).toEqual([]);
  });

  it('keeps files modified less than 24 hours before runAt, or after it, whatever the lookup says', async () => {
    put(uploads, 'boundary.pdf', 'exactly 24 h', new Date(RUN_AT.getTime() - 24 * HOUR));
    put(uploads, 'young.pdf', 'one second short', new Date(RUN_AT.getTime() - 24 * HOUR + 1_000));
    put(uploads, 'future.pdf', 'clock skew', new Date(RUN_AT.getTime() + HOUR));
    const { calls, referenced } = lookup();

    const batches = await scan({ referenced });

    // Names are looked up before any lstat (cheaper at 95% referenced); age decides after.
    expect(calls.flat().sort()).toEqual(['boundary.pdf', 'future.pdf', 'young.pdf']);
    expect(orphansOf(batches).map((o) => o.path)).toEqual(['boundary.pdf']);
    expect(batches.reduce((n, b) => n + b.filesSeen, 0)).toBe(3);
  });

  it('skips files and directories deleted during the walk without an error', async () => {
    for (const f of ['one/a.pdf', 'one/b.pdf', 'two/c.pdf', 'two/deep/d.pdf', 'three/e.pdf']) put(uploads, f, f);
    const calls: string[][] = [];
    const referenced = async (chemins: readonly string[]) => {
      calls.push([...chemins]);
      // Listed (or read ahead) but not yet lstat'ed, or not yet opened: all of them vanish.
      for (const dir of ['one', 'two', 'three']) rmSync(path.join(uploads, dir), { recursive: true, force: true });
      return new Set<string>();
    };

    const batches = await scan({ referenced, batchSize: 1 });

    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(orphansOf(batches)).toEqual([]);
    expect(await moveOrphan(uploads, 'one/a.pdf')).toBeUndefined();
    expect(existsSync(path.join(uploads, ORPHANS_DIR))).toBe(false);
  });

  it('never looks at files already under the top-level orphelins/, but walks a nested directory of that name', async () => {
    put(uploads, `${ORPHANS_DIR}/old.pdf`, 'moved last year');
    put(uploads, `${ORPHANS_DIR}/x/deep.pdf`, 'moved last year');
    put(uploads, `x/${ORPHANS_DIR}/nested.pdf`, 'an ordinary upload');
    const { calls, referenced } = lookup();

    const batches = await scan({ referenced });

    expect(calls).toEqual([[`x/${ORPHANS_DIR}/nested.pdf`]]);
    expect(batches.reduce((n, b) => n + b.filesSeen, 0)).toBe(1);
  });

  it('asks the lookup in batches of 2,000 by default: 4,500 old files, three calls', async () => {
    for (let i = 0; i < 4_500; i += 1) put(uploads, `d${i % 7}/f${i}.pdf`, String(i));
    const { calls, referenced } = lookup(['d0/f0.pdf']);

    const batches = await scan({ referenced });

    expect(calls.map((c) => c.length)).toEqual([2_000, 2_000, 500]);
    expect(batches).toHaveLength(3);
    expect(new Set(calls.flat()).size).toBe(4_500);
    expect(orphansOf(batches)).toHaveLength(4_499);
    expect(batches.reduce((n, b) => n + b.filesSeen, 0)).toBe(4_500);
  });

  it('stops between batches when the signal is aborted, with its reason', async () => {
    for (let i = 0; i < 5; i += 1) put(uploads, `f${i}.pdf`, String(i));
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const calls: number[] = [];
    const referenced = async (chemins: readonly string[]) => {
      calls.push(chemins.length);
      controller.abort(reason);
      return new Set<string>();
    };

    await expect(scan({ referenced, batchSize: 2, signal: controller.signal })).rejects.toBe(reason);
    expect(calls).toEqual([2]);
  });

  it('finishes a move a crash interrupted: the hard link already in orphelins/ is kept, the source unlinked, no suffixed copy', async () => {
    const source = put(uploads, 'x/a.pdf', 'orphan');
    mkdirSync(path.join(uploads, ORPHANS_DIR, 'x'), { recursive: true });
    const destination = path.join(uploads, ORPHANS_DIR, 'x', 'a.pdf');
    linkSync(source, destination);

    expect(await moveOrphan(uploads, 'x/a.pdf')).toBe(`${ORPHANS_DIR}/x/a.pdf`);

    expect(existsSync(source)).toBe(false);
    expect(readdirSync(path.join(uploads, ORPHANS_DIR, 'x'))).toEqual(['a.pdf']);
    expect(readFileSync(destination, 'utf8')).toBe('orphan');
    expect(statSync(destination).nlink).toBe(1);
  });

  it('recognises the crash left-over under a suffixed name too', async () => {
    put(uploads, `${ORPHANS_DIR}/x/a.pdf`, 'earlier orphan');
    const source = put(uploads, 'x/a.pdf', 'orphan');
    linkSync(source, path.join(uploads, ORPHANS_DIR, 'x', 'a (1).pdf'));

    expect(await moveOrphan(uploads, 'x/a.pdf')).toBe(`${ORPHANS_DIR}/x/a (1).pdf`);

    expect(existsSync(source)).toBe(false);
    expect(readdirSync(path.join(uploads, ORPHANS_DIR, 'x')).sort()).toEqual(['a (1).pdf', 'a.pdf']);
    expect(readFileSync(path.join(uploads, ORPHANS_DIR, 'x', 'a.pdf'), 'utf8')).toBe('earlier orphan');
  });

  it('refuses a path inside orphelins/ or outside the uploads directory', async () => {
    put(uploads, `${ORPHANS_DIR}/a.pdf`, 'moved');
    put(root, 'outside.pdf', 'not ours');
    await expect(moveOrphan(uploads, `${ORPHANS_DIR}/a.pdf`)).rejects.toThrow(/outside orphelins/);
    await expect(moveOrphan(uploads, '../outside.pdf')).rejects.toThrow(/not a file path/);
    expect(existsSync(path.join(root, 'outside.pdf'))).toBe(true);
  });

  it('moves nothing through a folder replaced by a link after the walk: the file outside stays where it is', async () => {
    put(uploads, 'ins/7/victim.pdf', 'ours');
    const batches = await scan({ referenced: lookup().referenced });
    expect(orphansOf(batches).map((o) => o.path)).toEqual(['ins/7/victim.pdf']);
    // Between the walk and the move, ins/7 becomes a link to a folder outside UPLOADS_DIR
    // holding a file of the same name.
    const outsideFile = put(root, 'outside/victim.pdf', 'not ours');
    rmSync(path.join(uploads, 'ins/7'), { recursive: true });
    symlinkSync(path.join(root, 'outside'), path.join(uploads, 'ins/7'));

    expect(await moveOrphan(uploads, 'ins/7/victim.pdf')).toBeUndefined();

    expect(readFileSync(outsideFile, 'utf8')).toBe('not ours');
    expect(existsSync(path.join(uploads, ORPHANS_DIR))).toBe(false);
  });

  it('refuses to move an orphan into an orphelins/ that is a link out of UPLOADS_DIR', async () => {
    put(uploads, 'x/a.pdf', 'ours');
    mkdirSync(path.join(root, 'elsewhere'));
    symlinkSync(path.join(root, 'elsewhere'), path.join(uploads, ORPHANS_DIR));

    await expect(moveOrphan(uploads, 'x/a.pdf')).rejects.toThrow(OrphansOutsideError);

    expect(readFileSync(path.join(uploads, 'x/a.pdf'), 'utf8')).toBe('ours');
    expect(readdirSync(path.join(root, 'elsewhere'))).toEqual([]);
  });

  it('rejects a batch size that is not a positive integer', async () => {
    await expect(scan({ referenced: lookup().referenced, batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer, got 0/);
  });
});
