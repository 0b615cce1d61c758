/**
 * The layout kit of the PDF reports (3.6, and the consistency job's anomaly report): an
 * A4 pdfkit document with DejaVu Sans embedded from its npm package (every French glyph,
 * the narrow no-break space of French numbers included; no system font lookup), a header
 * with the logo and the title, KPI tiles, tables that break across pages with their
 * header repeated, vector charts, and a footer « Généré le … à … — page x / y » on every
 * page, written once the page count is known.
 */
import { formatDate } from '../vocabulary/format-fr.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';

const require = createRequire(import.meta.url);
const FONT_DIR = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const REGULAR = path.join(FONT_DIR, 'DejaVuSans.ttf');
const BOLD = path.join(FONT_DIR, 'DejaVuSans-Bold.ttf');

export const COLORS = { ink: '#222222', muted: '#666666', accent: '#1f3a68', rule: '#d0d5dd', up: '#2e7d32', down: '#c62828', band: '#f3f5f9' } as const;
const MARGIN = 50;
const FOOTER_SPACE = 30;

export type ReportDocument = PDFKit.PDFDocument;

/** The narrow no-break space: French thousands, and before % ; ! ? and inside « ». */
export const NNBSP = '\u202F';
/** The no-break space: before « : ». */
export const NBSP = '\u00A0';

/**
 * The PDFs' formats are the shared French ones (vocabulary/format-fr.ts, also the
 * console's): `formatNumber` « 1 234,5 », `formatPercent` « 87,5 % » (the kit draws its
 * space as a narrow no-break one, see frenchSpacing). `formatFrenchDate` is the date
 * alone: « 1er décembre 2026 ».
 */
export { formatNumber, formatPercent } from '../vocabulary/format-fr.js';
export const formatFrenchDate = (instant: Date, timeZone: string) => formatDate(instant, timeZone);

/** `09:00` in the zone. */
export const formatTime = (instant: Date, timeZone: string) => new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(instant);

/**
 * French spacing of a text shown in a report: the space before « : » becomes a no-break
 * space, the one before % ; ! ? » and after « a narrow no-break space, so a line never
 * breaks there and the sign never starts a line; « n° » stays with its number. A sign written without its space
 * (`09:00`, `?status=`) is left alone. The kit applies it to everything it draws.
 */
export function frenchSpacing(text: string): string {
  return text
    .replace(/[ \u00A0\u202F]+:/g, `${NBSP}:`)
    .replace(/[ \u00A0\u202F]+([%;!?»])/g, `${NNBSP}$1`)
    .replace(/«[ \u00A0\u202F]+/g, `«${NNBSP}`)
    // « n° 7 109 » never cut after « n° ».
    .replace(/n°[ ]+(?=\d)/g, `n°${NBSP}`);
}

export interface DocumentOptions {
  readonly title: string;
  readonly subtitle?: string;
  /** An SVG document (text) or a PNG file path. */
  readonly logo: { readonly svg: string } | { readonly png: string };
  /** Metadata of the PDF file. */
  readonly author: string;
}

export function createReportDocument(options: DocumentOptions): ReportDocument {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + FOOTER_SPACE },
    bufferPages: true,
    info: { Title: options.title, Author: options.author },
    lang: 'fr-FR',
  });
  doc.registerFont('regular', REGULAR);
  doc.registerFont('bold', BOLD);
  doc.font('regular').fillColor(COLORS.ink);
  header(doc, options);
  return doc;
}

function header(doc: ReportDocument, options: DocumentOptions): void {
  const top = doc.page.margins.top;
  if ('svg' in options.logo) SVGtoPDF(doc, options.logo.svg, MARGIN, top, { width: 48, height: 48, preserveAspectRatio: 'xMinYMin meet', fontCallback: () => 'regular' });
  else doc.image(options.logo.png, MARGIN, top, { fit: [48, 48] });
  doc.font('bold').fontSize(18).fillColor(COLORS.accent).text(frenchSpacing(options.title), MARGIN + 60, top + 6, { width: contentWidth(doc) - 60 });
  if (options.subtitle) doc.font('regular').fontSize(10).fillColor(COLORS.muted).text(frenchSpacing(options.subtitle), MARGIN + 60, doc.y + 2, { width: contentWidth(doc) - 60 });
  // Under the logo, or under the subtitle when a long title took two lines.
  const rule = Math.max(top + 58, doc.y + 6);
  doc.moveTo(MARGIN, rule).lineTo(doc.page.width - MARGIN, rule).strokeColor(COLORS.rule).stroke();
  doc.x = MARGIN;
  doc.y = rule + 12;
  doc.fillColor(COLORS.ink);
}

export function contentWidth(doc: ReportDocument): number {
  return doc.page.width - doc.page.margins.left - doc.page.margins.right;
}

/** Starts a new page unless `height` points still fit on this one. */
export function ensureSpace(doc: ReportDocument, height: number): void {
  if (doc.y + height > doc.page.height - doc.page.margins.bottom) doc.addPage();
}

/** What a section title takes: the space above it, its line and the space under it. */
function sectionTitleHeight(doc: ReportDocument): number {
  doc.fontSize(13);
  return doc.currentLineHeight(true) * 1.9;
}

/**
 * A section's title, kept with what follows it: `keepWith` is the height of what must
 * stand on the same page under it (its table's header and first rows: `tableLeadHeight`,
 * and any paragraph in between: `paragraphHeight`). A title never ends a page alone.
 */
export function sectionTitle(doc: ReportDocument, text: string, keepWith = 0): void {
  ensureSpace(doc, sectionTitleHeight(doc) + keepWith);
  doc.moveDown(0.6);
  doc.font('bold').fontSize(13).fillColor(COLORS.accent).text(frenchSpacing(text), MARGIN, doc.y);
  doc.moveDown(0.3);
  doc.font('regular').fontSize(10).fillColor(COLORS.ink);
}

export function paragraph(doc: ReportDocument, text: string, color: string = COLORS.ink): void {
  doc.font('regular').fontSize(10).fillColor(color).text(frenchSpacing(text), MARGIN, doc.y, { width: contentWidth(doc) });
  doc.fillColor(COLORS.ink);
}

/** The height `paragraph` gives this text. */
export function paragraphHeight(doc: ReportDocument, text: string): number {
  doc.font('regular').fontSize(10);
  return doc.heightOfString(frenchSpacing(text), { width: contentWidth(doc) });
}

export interface Kpi {
  readonly label: string;
  readonly value: string;
  /** Change against the previous period: ▲ / ▼ with its text, or nothing. */
  readonly change?: { readonly direction: 'up' | 'down' | 'same'; readonly text: string };
}

const TILE_PADDING = 8;

/**
 * One row of tiles, the figures a reader looks at first. A label or a change may take
 * two lines (a rate names what it divides; « 1 000 par rapport au mois précédent »): every
 * tile of the row then grows by the same height, so values stay aligned and every text
 * stays inside its tile.
 */
export function kpiBand(doc: ReportDocument, kpis: readonly Kpi[]): void {
  const gap = 8;
  const width = (contentWidth(doc) - gap * (kpis.length - 1)) / kpis.length;
  const inner = width - 2 * TILE_PADDING;
  const changeText = (kpi: Kpi) => (kpi.change ? frenchSpacing(`${arrowOf(kpi.change.direction)} ${kpi.change.text}`) : '');
  doc.font('regular').fontSize(8);
  const oneLine = doc.currentLineHeight(true);
  const labelExtra = Math.max(0, ...kpis.map((kpi) => doc.heightOfString(frenchSpacing(kpi.label), { width: inner }))) - oneLine;
  const changeHeight = Math.max(0, ...kpis.map((kpi) => (kpi.change ? doc.heightOfString(changeText(kpi), { width: inner }) : 0)));
  // The value's line starts 22 points down, the change 44; the change's lines and a padding under them.
  const height = Math.max(60, 44 + changeHeight + TILE_PADDING) + labelExtra;
  ensureSpace(doc, height + 12);
  const top = doc.y;
  kpis.forEach((kpi, i) => {
    const x = MARGIN + i * (width + gap);
    doc.roundedRect(x, top, width, height, 6).fillColor(COLORS.band).fill();
    doc.font('regular').fontSize(8).fillColor(COLORS.muted).text(frenchSpacing(kpi.label), x + TILE_PADDING, top + 7, { width: inner });
    doc.font('bold').fontSize(17).fillColor(COLORS.accent).text(frenchSpacing(kpi.value), x + TILE_PADDING, top + 22 + labelExtra, { width: inner });
    if (kpi.change) {
      const color = kpi.change.direction === 'up' ? COLORS.up : kpi.change.direction === 'down' ? COLORS.down : COLORS.muted;
      doc.font('regular').fontSize(8).fillColor(color).text(changeText(kpi), x + TILE_PADDING, top + 44 + labelExtra, { width: inner });
    }
  });
  doc.fillColor(COLORS.ink);
  doc.x = MARGIN;
  doc.y = top + height + 12;
}

const arrowOf = (direction: 'up' | 'down' | 'same') => (direction === 'up' ? '▲' : direction === 'down' ? '▼' : '=');

/** A table never leaves fewer rows than this on a page, at its start or at its end. */
export const MIN_ROWS_ON_A_PAGE = 3;

export interface TableOptions {
  /** Column widths in points; equal columns by default. */
  readonly widths?: readonly number[];
  /** Each column's alignment: the first column left, the others (figures) right by default. */
  readonly align?: readonly ('left' | 'right')[];
}

type TableLayout = { readonly columns: readonly number[]; readonly align: readonly ('left' | 'right')[] };

function layoutOf(doc: ReportDocument, headers: readonly string[], options: TableOptions | readonly number[] | undefined): TableLayout {
  const { widths, align } = Array.isArray(options) ? { widths: options as readonly number[], align: undefined } : ((options ?? {}) as TableOptions);
  const columns = widths ?? headers.map(() => contentWidth(doc) / headers.length);
  return { columns, align: align ?? headers.map((_, i) => (i === 0 ? 'left' : 'right')) };
}

function rowHeight(doc: ReportDocument, layout: TableLayout, cells: readonly string[], bold: boolean): number {
  doc.font(bold ? 'bold' : 'regular').fontSize(9);
  return Math.max(...cells.map((cell, i) => doc.heightOfString(frenchSpacing(cell), { width: layout.columns[i]! - 8 }))) + 8;
}

/**
 * How many of the first rows must stand with the header on the page a table starts on:
 * three, or all of them when the table cannot be cut into two pieces of three.
 */
const leadRows = (rows: number) => (rows < 2 * MIN_ROWS_ON_A_PAGE ? rows : MIN_ROWS_ON_A_PAGE);

/** The height a table needs on the page it starts on: its header and its first rows (see `leadRows`). */
export function tableLeadHeight(doc: ReportDocument, headers: readonly string[], rows: readonly (readonly string[])[], options?: TableOptions | readonly number[]): number {
  const layout = layoutOf(doc, headers, options);
  return rowHeight(doc, layout, headers, true) + rows.slice(0, leadRows(rows.length)).reduce((sum, row) => sum + rowHeight(doc, layout, row, false), 0);
}

/**
 * Where a table breaks: the indexes of the rows that start a new page. Pages are filled
 * in turn; a piece that would leave fewer than MIN_ROWS_ON_A_PAGE rows for the next page
 * gives it some of its own. `undefined` when the first piece cannot hold its lead rows
 * on the room left: the table must start on a new page.
 */
function planBreaks(heights: readonly number[], header: number, firstRoom: number, pageRoom: number): number[] | undefined {
  const breaks: number[] = [];
  let start = 0;
  let room = firstRoom;
  while (start < heights.length) {
    let end = start;
    let used = header;
    while (end < heights.length && used + heights[end]! <= room) used += heights[end++]!;
    if (end === heights.length) return breaks;
    const left = heights.length - end;
    if (left < MIN_ROWS_ON_A_PAGE) end -= MIN_ROWS_ON_A_PAGE - left;
    if (start === 0 && end < leadRows(heights.length)) return undefined;
    // A row taller than a whole page still goes alone on its page.
    end = Math.max(end, start + 1);
    breaks.push(end);
    start = end;
    room = pageRoom;
  }
  return breaks;
}

/**
 * A table; a long one continues on the next page under its header again, and no page
 * holds fewer than three of its rows (a table of fewer than six rows stays in one piece).
 * `options` are its column widths, or widths and alignments.
 */
export function table(doc: ReportDocument, headers: readonly string[], rows: readonly (readonly string[])[], options?: TableOptions | readonly number[]): void {
  const total = contentWidth(doc);
  const layout = layoutOf(doc, headers, options);
  const drawRow = (cells: readonly string[], bold: boolean) => {
    const height = rowHeight(doc, layout, cells, bold);
    const top = doc.y;
    if (bold) doc.rect(MARGIN, top, total, height).fillColor(COLORS.band).fill();
    doc.font(bold ? 'bold' : 'regular').fontSize(9);
    let x = MARGIN;
    cells.forEach((cell, i) => {
      doc.fillColor(COLORS.ink).text(frenchSpacing(cell), x + 4, top + 4, { width: layout.columns[i]! - 8, align: layout.align[i] ?? 'right' });
      x += layout.columns[i]!;
    });
    doc.moveTo(MARGIN, top + height).lineTo(MARGIN + total, top + height).strokeColor(COLORS.rule).lineWidth(0.5).stroke();
    doc.y = top + height;
  };
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  const header = rowHeight(doc, layout, headers, true);
  const heights = rows.map((row) => rowHeight(doc, layout, row, false));
  const pageRoom = bottom() - doc.page.margins.top;
  let breaks = planBreaks(heights, header, bottom() - doc.y, pageRoom);
  if (!breaks) {
    doc.addPage();
    breaks = planBreaks(heights, header, bottom() - doc.y, pageRoom) ?? [];
  }
  const breakSet = new Set(breaks);
  drawRow(headers, true);
  rows.forEach((row, i) => {
    if (breakSet.has(i)) {
      doc.addPage();
      drawRow(headers, true);
    }
    drawRow(row, false);
  });
  doc.x = MARGIN;
  doc.moveDown(0.5);
}

/** Draws SVG charts side by side, each `height` points high. */
export function charts(doc: ReportDocument, svgs: readonly string[], height = 200): void {
  ensureSpace(doc, height + 10);
  const gap = 10;
  const width = (contentWidth(doc) - gap * (svgs.length - 1)) / svgs.length;
  const top = doc.y;
  svgs.forEach((svg, i) => SVGtoPDF(doc, svg, MARGIN + i * (width + gap), top, { width, height, fontCallback: (_family, bold) => (bold ? 'bold' : 'regular') }));
  doc.x = MARGIN;
  doc.y = top + height + 10;
}

/** « Généré le … à … — page x / y » on every page; call once, last. */
export function footers(doc: ReportDocument, generatedAt: Date, timeZone: string): void {
  const { start, count } = doc.bufferedPageRange();
  const day = formatFrenchDate(generatedAt, timeZone);
  const time = formatTime(generatedAt, timeZone);
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    // Writing inside the bottom margin would make pdfkit add a page: lift it for the footer.
    doc.page.margins.bottom = 0;
    doc
      .font('regular')
      .fontSize(8)
      .fillColor(COLORS.muted)
      .text(`Généré le ${day} à ${time} — page ${i - start + 1} / ${count}`, MARGIN, doc.page.height - MARGIN, { width: contentWidth(doc), align: 'center', lineBreak: false });
    doc.page.margins.bottom = bottom;
  }
}
