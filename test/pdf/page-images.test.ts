/**
 * The page images of the README: the first two pages of each report on the planted data
 * of test/pdf/samples.ts, rasterised by Poppler's pdftoppm at 72 dpi (one pixel a point).
 * Written to test-results/pdf-pages/; `UPDATE_SCREENSHOTS=1 npx vitest run test/pdf`
 * writes them to docs/ instead (as the console's screenshots). Skipped, saying so, where
 * pdftoppm is missing (apt-get install poppler-utils).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/child.js';
import { anomalyReport, bytesOf, monthlyReport } from './samples.js';

const OUT = path.join(ROOT, process.env.UPDATE_SCREENSHOTS ? 'docs' : 'test-results/pdf-pages');
const HAVE_PDFTOPPM = spawnSync('pdftoppm', ['-v']).error === undefined;
if (!HAVE_PDFTOPPM) console.log('PDF page images SKIPPED: no pdftoppm (apt-get install poppler-utils)');

describe.skipIf(!HAVE_PDFTOPPM)('page images of the reports', () => {
  it.each([
    ['monthly-report', monthlyReport],
    ['anomaly-report', anomalyReport],
  ] as const)('%s: pages 1 and 2 as PNG', async (name, layout) => {
    mkdirSync(OUT, { recursive: true });
    const pdf = path.join(ROOT, 'test-results', `${name}.pdf`);
    mkdirSync(path.dirname(pdf), { recursive: true });
    writeFileSync(pdf, await bytesOf(layout()));
    for (const page of [1, 2]) {
      const target = path.join(OUT, `${name}-page${page}`);
      rmSync(`${target}.png`, { force: true });
      execFileSync('pdftoppm', ['-png', '-r', '72', '-f', String(page), '-l', String(page), '-singlefile', pdf, target]);
      expect(existsSync(`${target}.png`)).toBe(true);
    }
  });
});
