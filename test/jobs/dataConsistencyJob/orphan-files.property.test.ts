/**
 * Property 36 (5.8, 5.9): whatever the tree under UPLOADS_DIR (accented names in NFC or
 * NFD, symlinks, earlier orphans of the same name, mtimes on both sides of the 24-hour
 * boundary), scanning then moving every orphan leaves each referenced or young file in
 * place, puts each unreferenced old file under `orphelins/` at its relative path (suffixed
 * on a collision), follows no symlink, and loses no file and no byte.
 */
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { moveOrphan, ORPHANS_DIR, scanOrphans, type ScanBatch } from '../../../src/jobs/dataConsistencyJob/orphan-files.js';

const RUN_AT_S = Date.parse('2027-03-10T02:00:00Z') / 1000;
const CUTOFF_S = RUN_AT_S - 24 * 3600;

// Directory and file names never coincide, so no entry is both a file and a directory.
const directory = fc.constantFrom('', 'a', 'a/b', '\u00e9t\u00e9', 'e\u0301te\u0301', `c/${ORPHANS_DIR}`);
const fileName = fc.constantFrom('x.pdf', 'th\u00e8se.pdf', 'the\u0300se.pdf', 'r\u00e9sum\u00e9', 're\u0301sume\u0301', 'x (1).pdf', '.hidden', 'archive.tar.gz');
const entry = fc.record({
  dir: directory,
  name: fc.oneof(fileName, fc.constantFrom('link-file', 'link-dir')),
  referenced: fc.boolean(),
  earlierOrphan: fc.boolean(),
  padding: fc.nat({ max: 40 }),
  // Seconds from the cutoff: often right at it, sometimes far either side (future included).
  age: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -72 * 3600, max: 26 * 3600 })),
});
const join = (...parts: string[]) => parts.filter((p) => p !== '').join('/');
const onDisk = (root: string, relative: string) => path.join(root, ...relative.split('/'));

/** Every regular file under `dir`, by relative path, with its content; symlinks are not followed. */
function regularFiles(dir: string, prefix = ''): Map<string, string> {
  const found = new Map<string, string>();
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const relative = join(prefix, d.name);
    if (d.isDirectory()) for (const [p, c] of regularFiles(path.join(dir, d.name), relative)) found.set(p, c);
    else if (d.isFile()) found.set(relative, readFileSync(path.join(dir, d.name), 'utf8'));
  }
  return found;
}

function isSameOrSuffixed(destinationName: string, name: string): boolean {
  const extension = path.extname(name);
  const stem = name.slice(0, name.length - extension.length);
  if (destinationName === name) return true;
  const middle = destinationName.slice(stem.length + 2, destinationName.length - extension.length - 1);
  return destinationName.startsWith(`${stem} (`) && destinationName.endsWith(`)${extension}`) && /^[1-9]\d*$/.test(middle);
}

describe('orphan files', () => {
  it('Property 36: only unreferenced files older than 24 hours move, under orphelins/, and nothing is lost', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(entry, { maxLength: 25, selector: (e) => join(e.dir, e.name) }), fc.integer({ min: 1, max: 6 }), async (entries, batchSize) => {
        const root = mkdtempSync(path.join(os.tmpdir(), 'orphan-property-'));
        try {
          const uploads = path.join(root, 'uploads');
          mkdirSync(uploads);
          const outsideFile = path.join(root, 'outside.pdf');
          writeFileSync(outsideFile, 'not ours');
          mkdirSync(path.join(root, 'outside-dir'));
          writeFileSync(path.join(root, 'outside-dir', 'inner.pdf'), 'not ours either');

          const links = entries.filter((e) => e.name.startsWith('link-')).map((e) => ({ ...e, path: join(e.dir, e.name) }));
          const files = entries.filter((e) => !e.name.startsWith('link-')).map((e, i) => ({
            ...e,
            path: join(e.dir, e.name),
            chemin: join(e.dir, e.name).normalize('NFC'),
            content: `file ${i} ${'.'.repeat(e.padding)}`,
            earlier: `earlier orphan ${i}`,
          }));
          for (const f of files) {
            mkdirSync(onDisk(uploads, f.dir), { recursive: true });
            writeFileSync(onDisk(uploads, f.path), f.content);
            utimesSync(onDisk(uploads, f.path), CUTOFF_S + f.age, CUTOFF_S + f.age);
            if (f.earlierOrphan) {
              mkdirSync(onDisk(uploads, join(ORPHANS_DIR, f.dir)), { recursive: true });
              writeFileSync(onDisk(uploads, join(ORPHANS_DIR, f.path)), f.earlier);
            }
          }
          for (const l of links) {
            mkdirSync(onDisk(uploads, l.dir), { recursive: true });
            symlinkSync(l.name === 'link-dir' ? path.join(root, 'outside-dir') : outsideFile, onDisk(uploads, l.path));
          }
          const before = regularFiles(uploads);
          // A chemin is referenced when any row names it, in whichever normal form.
          const rows = new Set(files.filter((f) => f.referenced).map((f) => f.chemin));
          const old = (f: (typeof files)[number]) => CUTOFF_S + f.age <= CUTOFF_S;
          const expectedOrphans = new Set(files.filter((f) => old(f) && !rows.has(f.chemin)).map((f) => f.path));

          const asked: string[] = [];
          const referenced = async (chemins: readonly string[]) => {
            expect(chemins.length).toBeGreaterThan(0);
            expect(chemins.length).toBeLessThanOrEqual(batchSize);
            for (const c of chemins) {
              expect(c).toBe(c.normalize('NFC'));
              expect(c.startsWith(`${ORPHANS_DIR}/`)).toBe(false);
              expect(files.some((f) => f.chemin === c), c).toBe(true);
            }
            asked.push(...chemins);
            return new Set(chemins.filter((c) => rows.has(c)));
          };
          const destinations = new Map<string, string | undefined>();
          const batches: ScanBatch[] = [];
          for await (const batch of scanOrphans({ uploadsDir: uploads, runAt: new Date(RUN_AT_S * 1000), referenced, batchSize })) {
            batches.push(batch);
            for (const orphan of batch.orphans) destinations.set(orphan.path, await moveOrphan(uploads, orphan.path));
          }

          expect(new Set(destinations.keys())).toEqual(expectedOrphans);
          // Every file is looked up once by name; age is checked on the unreferenced ones after.
          expect(asked.length).toBe(files.length);
          expect(batches.reduce((n, b) => n + b.filesSeen, 0)).toBe(files.length);
          expect(batches.flatMap((b) => b.symlinksSkipped).sort()).toEqual(links.map((l) => l.path).sort());
          const after = regularFiles(uploads);
          for (const f of files) {
            if (f.earlierOrphan) expect(after.get(join(ORPHANS_DIR, f.path)), `earlier orphan of ${f.path}`).toBe(f.earlier);
            const destination = destinations.get(f.path);
            if (!expectedOrphans.has(f.path)) {
              expect(after.get(f.path), `${f.path} stays`).toBe(f.content);
              continue;
            }
            expect(after.has(f.path), `${f.path} left its place`).toBe(false);
            expect(destination, f.path).toBeDefined();
            expect(path.posix.dirname(destination ?? '')).toBe(join(ORPHANS_DIR, f.dir) || '.');
            expect(isSameOrSuffixed(path.posix.basename(destination ?? ''), f.name), `${destination}`).toBe(true);
            expect(after.get(destination ?? '')).toBe(f.content);
          }
          for (const l of links) expect(lstatSync(onDisk(uploads, l.path)).isSymbolicLink()).toBe(true);
          expect(readFileSync(outsideFile, 'utf8')).toBe('not ours');
          expect(readdirSync(path.join(root, 'outside-dir'))).toEqual(['inner.pdf']);
          expect(after.size).toBe(before.size);
          const bytes = (m: Map<string, string>) => [...m.values()].reduce((n, c) => n + Buffer.byteLength(c), 0);
          expect(bytes(after)).toBe(bytes(before));

          // Idempotent: a second run finds nothing left to move.
          const again: ScanBatch[] = [];
          for await (const batch of scanOrphans({ uploadsDir: uploads, runAt: new Date(RUN_AT_S * 1000), referenced, batchSize })) again.push(batch);
          expect(again.flatMap((b) => b.orphans)).toEqual([]);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 150 },
    );
  });
});
