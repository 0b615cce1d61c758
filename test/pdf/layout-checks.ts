/**
 * What a reader of the PDF reports sees, checked on the positions PDF.js reads back
 * (test/support/pdf.ts): text inside its tile, headings with the first rows of their
 * table, no table leaving fewer than three rows on a page, French typography.
 */
import { expect } from 'vitest';
import type { PdfLayoutPage, PlacedPath, PlacedText } from '../support/pdf.js';

const MARGIN = 50;
const CONTENT_RIGHT = 595.28 - MARGIN;
const near = (a: number, b: number) => Math.abs(a - b) < 0.5;
/** A table's header band: the kit fills it across the content width. */
const isHeaderBand = (p: PlacedPath) => p.filled && near(p.left, MARGIN) && near(p.right, CONTENT_RIGHT) && p.bottom - p.top > 10 && p.bottom - p.top < 60;
/** The rule under a table row. */
const isRule = (p: PlacedPath) => !p.filled && near(p.left, MARGIN) && near(p.right, CONTENT_RIGHT) && near(p.top, p.bottom);
export const isHeading = (t: PlacedText) => near(t.fontSize, 13) && near(t.x, MARGIN);

/** The KPI tiles of a page: the filled rounded boxes of a row, a quarter of the width each. */
export function tiles(page: PdfLayoutPage): PlacedPath[] {
  return page.paths.filter((p) => p.filled && p.left >= MARGIN - 0.5 && p.right <= CONTENT_RIGHT + 0.5 && p.right - p.left > 100 && p.right - p.left < 200 && p.bottom - p.top > 40 && p.bottom - p.top < 150);
}

/** Every text that starts in a tile (its label, value, change) ends inside it, across and down. */
export function expectTextInsideTiles(page: PdfLayoutPage, expected: number): void {
  const boxes = tiles(page);
  expect(boxes).toHaveLength(expected);
  for (const box of boxes) {
    const inside = page.texts.filter((t) => t.x >= box.left && t.x < box.right && t.top >= box.top - 1 && t.top < box.bottom + 20 && (near(t.fontSize, 8) || near(t.fontSize, 17)));
    expect(inside.length, `texts of the tile at x=${box.left}`).toBeGreaterThanOrEqual(2);
    for (const t of inside) {
      expect(t.bottom, `« ${t.str} » runs below its tile (bottom ${box.bottom.toFixed(1)})`).toBeLessThanOrEqual(box.bottom - 2);
      expect(t.x + t.width, `« ${t.str} » runs past its tile's right edge`).toBeLessThanOrEqual(box.right);
    }
  }
}

export interface TableSegment {
  readonly page: number;
  readonly top: number;
  /** The texts of its header row, as read. */
  readonly header: string;
  readonly rows: number;
  /** Part of a table cut across pages (it goes on, or it goes on from the page before). */
  readonly cut: boolean;
}

/** Each piece of a table on a page: its header band (repeated on every page) and the rows ruled under it. */
export function tableSegments(pages: readonly PdfLayoutPage[]): TableSegment[] {
  const pieces = pages.map((page, index) => {
    const bands = page.paths.filter(isHeaderBand).sort((a, b) => a.top - b.top);
    const rules = page.paths.filter(isRule);
    const headings = page.texts.filter(isHeading);
    return bands.map((band, i) => {
      // Up to the next band or the next heading, whichever comes first.
      const limit = Math.min(bands[i + 1]?.top ?? Infinity, ...headings.filter((h) => h.top > band.bottom).map((h) => h.top));
      const rows = rules.filter((r) => r.top > band.bottom + 0.5 && r.top < limit).length;
      const header = page.texts.filter((t) => t.top >= band.top - 1 && t.bottom <= band.bottom + 1).map((t) => t.str).join(' ');
      return { page: index + 1, top: band.top, header, rows };
    });
  });
  // A table goes on to the next page when that page opens on its header again, at the top margin.
  const goesOn = (page: number, i: number) => i === pieces[page]!.length - 1 && pieces[page + 1]?.[0]?.header === pieces[page]![i]!.header && pieces[page + 1]![0]!.top < MARGIN + 1;
  return pieces.flatMap((list, page) => list.map((piece, i) => ({ ...piece, cut: goesOn(page, i) || (i === 0 && page > 0 && goesOn(page - 1, pieces[page - 1]!.length - 1)) })));
}

/** No piece of a table cut across pages holds fewer than three rows. */
export function expectNoTableWidows(pages: readonly PdfLayoutPage[]): void {
  for (const segment of tableSegments(pages).filter((s) => s.cut)) {
    expect(segment.rows, `table « ${segment.header} » on page ${segment.page} holds ${segment.rows} row(s)`).toBeGreaterThanOrEqual(3);
  }
}

/** Each section heading has, on its own page and before any other heading, its table: whole, or at least three rows of it. */
export function expectHeadingsWithTheirTables(pages: readonly PdfLayoutPage[]): string[] {
  const segments = tableSegments(pages);
  const seen: string[] = [];
  pages.forEach((page, index) => {
    const headings = page.texts.filter(isHeading).sort((a, b) => a.top - b.top);
    headings.forEach((heading, i) => {
      seen.push(heading.str);
      const nextHeading = headings[i + 1]?.top ?? Infinity;
      const table = segments.find((s) => s.page === index + 1 && s.top > heading.bottom && s.top < nextHeading);
      expect(table, `heading « ${heading.str} » on page ${index + 1} has no table under it on its page`).toBeDefined();
      if (table!.cut) expect(table!.rows, `heading « ${heading.str} » on page ${index + 1} keeps ${table!.rows} row(s) of its table`).toBeGreaterThanOrEqual(3);
    });
  });
  return seen;
}

/**
 * French typography in every line, read from the glyphs drawn (`runs`: the no-break
 * spaces as written): a no-break space before : (U+00A0) and a narrow one before % ; ! ?
 * », after « and between thousands (U+202F); « 1er » for the first of a month.
 */
export function expectFrenchTypography(pages: readonly PdfLayoutPage[]): void {
  for (const [index, page] of pages.entries()) {
    for (const run of page.runs) {
      const where = `« ${run} » on page ${index + 1}`;
      expect(run, `${where}: a sign glued to its number`).not.toMatch(/\d[%]/);
      expect(run, `${where}: a breaking space before a double sign`).not.toMatch(/ [%:;!?»]/);
      expect(run, `${where}: a breaking space after «`).not.toMatch(/« /);
      expect(run, `${where}: a line starting with a double sign (broken before it)`).not.toMatch(/^[%:;!?»]/);
      expect(run, `${where}: thousands apart with a breaking space`).not.toMatch(/(^|[^\d.,])\d{1,3}( \d{3})+(?!\d)/);
      expect(run, `${where}: an English thousands separator`).not.toMatch(/\d,\d{3}(?!\d)/);
      expect(run, `${where}: « 1 » for « 1er » in a date`).not.toMatch(/(^|\D)1 (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)/);
    }
  }
}

/** The header's rule lies under the title and the subtitle, however many lines the title takes. */
export function expectHeaderAboveItsRule(page: PdfLayoutPage): void {
  const rule = page.paths.filter(isRule).sort((a, b) => a.top - b.top)[0];
  expect(rule).toBeDefined();
  const header = page.texts.filter((t) => near(t.fontSize, 18) || (near(t.fontSize, 10) && t.x > MARGIN + 30 && t.top < rule!.top + 20));
  expect(header.length).toBeGreaterThanOrEqual(2);
  for (const t of header) expect(t.bottom, `« ${t.str} » crosses the header's rule`).toBeLessThanOrEqual(rule!.top);
}
