// Builds the admin console (admin/) into static files that the service serves at /admin
// (src/http/admin-console.ts): index.html, app.js (Preact + the console, one minified ES
// module), app.css, favicon.svg, each also gzip- and brotli-compressed for
// @fastify/static's preCompressed. Nothing runs at serve time but file reads.
//
//   node scripts/build-admin.mjs [outDir]     (default dist/admin; part of npm run build)
//
// Each file is written beside its final name and renamed over it, so a service or a
// test reading the folder during a rebuild sees the old file or the new one, never half.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import console from 'node:console';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(root, process.argv[2] ?? 'dist/admin');
const source = path.join(root, 'admin');

const bundle = await build({
  entryPoints: { app: path.join(source, 'src/main.ts'), 'app-style': path.join(source, 'src/styles.css') },
  bundle: true,
  minify: true,
  format: 'esm',
  // Browsers of the last few years: no transpiling of what they all run.
  target: ['chrome109', 'firefox115', 'safari16'],
  legalComments: 'eof',
  sourcemap: false,
  write: false,
  outdir: outDir,
  logLevel: 'warning',
});

const files = new Map();
for (const output of bundle.outputFiles) {
  const name = path.basename(output.path) === 'app-style.css' ? 'app.css' : path.basename(output.path);
  if (name.endsWith('.js') && name !== 'app.js') continue; // the CSS entry's empty JS twin
  files.set(name, Buffer.from(output.contents));
}
for (const name of ['index.html', 'favicon.svg']) files.set(name, await readFile(path.join(source, name)));

await mkdir(outDir, { recursive: true });
const written = new Set();
for (const [name, contents] of files) {
  for (const [suffix, bytes] of [
    ['', contents],
    ['.gz', gzipSync(contents, { level: 9 })],
    ['.br', brotliCompressSync(contents, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })],
  ]) {
    const target = path.join(outDir, name + suffix);
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, target);
    written.add(name + suffix);
  }
}
// What an older build left (a file since renamed) would still be served: remove it.
for (const entry of await readdir(outDir)) {
  if (!written.has(entry) && !entry.endsWith('.tmp')) await rm(path.join(outDir, entry), { force: true });
}

const gzipped = [...files.keys()].reduce((sum, name) => sum + gzipSync(files.get(name), { level: 9 }).length, 0);
console.log(`admin console built in ${path.relative(root, outDir) || '.'}: ${files.size} files, ${(gzipped / 1024).toFixed(1)} KB gzip`);
