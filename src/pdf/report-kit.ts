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

/**
 * The PDFs' formats are the shared French ones (vocabulary/format-fr.ts, also the
 * console's): `formatNumber` « 1 234,5 », `formatPercent` « 87,5 % ». `formatFrenchDate`
 * is the date alone: « 1er décembre 2026 ».
 */
export { formatNumber, formatPercent } from '../vocabulary/format-fr.js';
export const formatFrenchDate = (instant: Date, timeZone: string) => formatDate(instant, timeZone);

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
  doc.font('bold').fontSize(18).fillColor(COLORS.accent).text(options.title, MARGIN + 60, top + 6, { width: contentWidth(doc) - 60 });
  if (options.subtitle) doc.font('regular').fontSize(10).fillColor(COLORS.muted).text(options.subtitle, MARGIN + 60, doc.y + 2, { width: contentWidth(doc) - 60 });
  doc.moveTo(MARGIN, top + 58).lineTo(doc.page.width - MARGIN, top + 58).strokeColor(COLORS.rule).stroke();
  doc.x = MARGIN;
  doc.y = top + 70;
  doc.fillColor(COLORS.ink);
}

export function contentWidth(doc: ReportDocument): number {
  return doc.page.width - doc.page.margins.left - doc.page.margins.right;
}

/** Starts a new page unless `height` points still fit on this one. */
export function ensureSpace(doc: ReportDocument, height: number): void {
  if (doc.y + height > doc.page.height - doc.page.margins.bottom) doc.addPage();
}

export function sectionTitle(doc: ReportDocument, text: string): void {
  ensureSpace(doc, 60);
  doc.moveDown(0.6);
  doc.font('bold').fontSize(13).fillColor(COLORS.accent).text(text, MARGIN, doc.y);
  doc.moveDown(0.3);
  doc.font('regular').fontSize(10).fillColor(COLORS.ink);
}

export function paragraph(doc: ReportDocument, text: string, color: string = COLORS.ink): void {
  doc.font('regular').fontSize(10).fillColor(color).text(text, MARGIN, doc.y, { width: contentWidth(doc) });
  doc.fillColor(COLORS.ink);
}

export interface Kpi {
  readonly label: string;
  readonly value: string;
  /** Change against the previous period: ▲ / ▼ with its text, or nothing. */
  readonly change?: { readonly direction: 'up' | 'down' | 'same'; readonly text: string };
}

/**
 * One row of tiles, the figures a reader looks at first. A label may take two lines (a
 * rate names what it divides): every tile of the row then grows by the same height, so
 * values stay aligned and never overlap their label.
 */
export function kpiBand(doc: ReportDocument, kpis: readonly Kpi[]): void {
  const gap = 8;
  const width = (contentWidth(doc) - gap * (kpis.length - 1)) / kpis.length;
  doc.font('regular').fontSize(8);
  const oneLine = doc.currentLineHeight(true);
  const extra = Math.max(0, ...kpis.map((kpi) => doc.heightOfString(kpi.label, { width: width - 16 }))) - oneLine;
  ensureSpace(doc, 70 + extra);
  const top = doc.y;
  kpis.forEach((kpi, i) => {
    const x = MARGIN + i * (width + gap);
    doc.roundedRect(x, top, width, 60 + extra, 6).fillColor(COLORS.band).fill();
    doc.font('regular').fontSize(8).fillColor(COLORS.muted).text(kpi.label, x + 8, top + 7, { width: width - 16 });
    doc.font('bold').fontSize(17).fillColor(COLORS.accent).text(kpi.value, x + 8, top + 22 + extra, { width: width - 16 });
    if (kpi.change) {
      const arrow = kpi.change.direction === 'up' ? '▲' : kpi.change.direction === 'down' ? '▼' : '=';
      const color = kpi.change.direction === 'up' ? COLORS.up : kpi.change.direction === 'down' ? COLORS.down : COLORS.muted;
      doc.font('regular').fontSize(8).fillColor(color).text(`${arrow} ${kpi.change.text}`, x + 8, top + 44 + extra, { width: width - 16 });
    }
  });
  doc.fillColor(COLORS.ink);
  doc.x = MARGIN;
  doc.y = top + 72 + extra;
}

/** A table; a long one continues on the next page under its header again. */
export function table(doc: ReportDocument, headers: readonly string[], rows: readonly (readonly string[])[], widths?: readonly number[]): void {
  const total = contentWidth(doc);
  const columns = widths ?? headers.map(() => total / headers.length);
  const heightOf = (cells: readonly string[], bold: boolean) => {
    doc.font(bold ? 'bold' : 'regular').fontSize(9);
    return Math.max(...cells.map((cell, i) => doc.heightOfString(cell, { width: columns[i]! - 8 }))) + 8;
  };
  const drawRow = (cells: readonly string[], bold: boolean) => {
    const height = heightOf(cells, bold);
    const top = doc.y;
    if (bold) doc.rect(MARGIN, top, total, height).fillColor(COLORS.band).fill();
    doc.font(bold ? 'bold' : 'regular').fontSize(9);
    let x = MARGIN;
    cells.forEach((cell, i) => {
      doc.fillColor(COLORS.ink).text(cell, x + 4, top + 4, { width: columns[i]! - 8, align: i === 0 ? 'left' : 'right' });
      x += columns[i]!;
    });
    doc.moveTo(MARGIN, top + height).lineTo(MARGIN + total, top + height).strokeColor(COLORS.rule).lineWidth(0.5).stroke();
    doc.y = top + height;
  };
  const room = () => doc.page.height - doc.page.margins.bottom - doc.y;
  if (room() < heightOf(headers, true) + heightOf(rows[0] ?? headers, false)) doc.addPage();
  drawRow(headers, true);
  for (const row of rows) {
    if (room() < heightOf(row, false)) {
      doc.addPage();
      drawRow(headers, true);
    }
    drawRow(row, false);
  }
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
  const time = new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit', timeZone }).format(generatedAt);
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
