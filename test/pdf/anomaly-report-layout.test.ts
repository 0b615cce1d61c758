/**
 * The anomaly report's layout, read back with PDF.js on 180 planted anomalies
 * (test/pdf/samples.ts): details left-aligned in their column, wrapped over lines, never
 * right-aligned; French typography; headings with their table; no table leaving fewer than
 * three rows on a page.
 */
import { describe, expect, it } from 'vitest';
import { readPdfLayout } from '../support/pdf.js';
import { expectFrenchTypography, expectHeaderAboveItsRule, expectHeadingsWithTheirTables, expectNoTableWidows, expectTextInsideTiles } from './layout-checks.js';
import { anomalyReport, bytesOf } from './samples.js';

describe('the anomaly report, laid out', async () => {
  const pages = await readPdfLayout(await bytesOf(anomalyReport()));

  it('spans pages, its header above its rule', () => {
    expectHeaderAboveItsRule(pages[0]!);
    expect(pages.length).toBeGreaterThanOrEqual(4);
  });

  it('left-aligns the details, each line starting at the column’s left edge', () => {
    // 4 points in from the column's left edge: the « Détails » column after the 90-point
    // « Élément » one, or the « Élément et personnes » column after the 120-point « Anomalie » one.
    const EDGES = [50 + 90 + 4, 50 + 120 + 4];
    const onAnEdge = (x: number) => EDGES.some((edge) => Math.abs(x - edge) < 0.5);
    const detailLines = pages.flatMap((page) => page.texts.filter((t) => /^(Doctorant|Directeur de thèse|Statut|Archivée|Correction|Fichier|Inscription) :/.test(t.str.replace(/\s/g, ' ')) && t.x > 120 && t.x < 320));
    expect(detailLines.length).toBeGreaterThan(300);
    for (const line of detailLines) expect(onAnEdge(line.x), `« ${line.str} » at x=${line.x.toFixed(1)}`).toBe(true);
    // Wrapped: a long path or name goes on to a next line, also on the left edge.
    const wrapped = pages.flatMap((page) => page.texts.filter((t) => /^(manuscrit|definitive|version|\d+\.pdf|Lefèvre-Ménard|Ménard)/.test(t.str)));
    expect(wrapped.length).toBeGreaterThan(20);
    for (const line of wrapped) expect(onAnEdge(line.x), `« ${line.str} » at x=${line.x.toFixed(1)}`).toBe(true);
  });

  it('writes signs and numbers the French way', () => {
    expectFrenchTypography(pages);
    expect(pages[0]!.runs.some((run) => run.includes('1\u202F204'))).toBe(true);
  });

  it('keeps the tiles’ text inside them, each heading with its table, and no table leaving fewer than three rows on a page', () => {
    expectTextInsideTiles(pages[0]!, 4);
    const headings = expectHeadingsWithTheirTables(pages);
    expect(headings).toEqual([
      'À traiter par une personne',
      'Inscriptions dont le doctorant n’existe pas',
      'Soutenances sans inscription validée',
      'Documents référencés mais absents du disque',
      'Doctorants dont les dates de première inscription divergent',
    ]);
    expectNoTableWidows(pages);
  });
});
