/**
 * The monthly report's typography and layout, read back with PDF.js on planted figures
 * that span four pages (test/pdf/samples.ts): « du 1er octobre », a no-break space before
 * % and :, thin spaces in thousands, every tile's text inside its tile, each heading on the
 * page of its table's first rows, no table leaving fewer than three rows on a page.
 */
import { describe, expect, it } from 'vitest';
import { readPdfLayout } from '../support/pdf.js';
import { expectFrenchTypography, expectHeaderAboveItsRule, expectHeadingsWithTheirTables, expectNoTableWidows, expectTextInsideTiles, tableSegments } from './layout-checks.js';
import { bytesOf, monthlyReport } from './samples.js';

describe('the monthly report, laid out', async () => {
  const pages = await readPdfLayout(await bytesOf(monthlyReport()));
  const text = pages.map((page) => page.runs.join('\n')).join('\n');

  it('spans pages, its header above its rule', () => {
    expectHeaderAboveItsRule(pages[0]!);
    expect(pages.length).toBeGreaterThanOrEqual(3);
  });

  it('writes dates, numbers and signs the French way', () => {
    expect(text).toContain('École doctorale — du 1er octobre 2026 au 31 octobre 2026');
    expect(text).toContain('calculés le 1er novembre 2026 à 09:00');
    expect(text).toContain('Généré le 1er novembre 2026 à 09:00');
    // The rate of 0 reads the same on its tile and in its table, a narrow no-break space before %.
    expect(pages[0]!.runs.filter((run) => run === '0\u202F%').length).toBeGreaterThanOrEqual(2);
    expect(text).toContain('12\u202F480');
    expect(text).toContain('Directeurs de thèse\u00A0: les 10 premiers');
    expectFrenchTypography(pages);
  });

  it('keeps every text of a tile inside it, a change on two lines included', () => {
    expect(pages[0]!.texts.some((t) => t.str === 'mois précédent')).toBe(true);
    expectTextInsideTiles(pages[0]!, 4);
  });

  it('keeps each heading with the first rows of its table', () => {
    const headings = expectHeadingsWithTheirTables(pages);
    expect(headings).toEqual(['Inscriptions', 'Soutenances', 'Notifications', 'Utilisateurs', 'Alertes']);
  });

  it('never leaves fewer than three rows of a table on a page', () => {
    // Some table does go on to another page, its header repeated.
    expect(tableSegments(pages).filter((s) => s.cut).length).toBeGreaterThanOrEqual(2);
    expectNoTableWidows(pages);
  });
});
