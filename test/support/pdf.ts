/** Reads a PDF back with Mozilla's PDF.js, as a reader's viewer would: text and drawing operators per page. */
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';

export interface PdfPage {
  readonly text: string;
  /** How many path-painting operators the page draws (charts, tables, tiles). */
  readonly paths: number;
}

export async function readPdf(bytes: Uint8Array): Promise<readonly PdfPage[]> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false, isEvalSupported: false }).promise;
  try {
    const pages: PdfPage[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      const text = content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : ' ') : '')).join('');
      const { fnArray } = await page.getOperatorList();
      pages.push({ text, paths: fnArray.filter((op) => op === OPS.constructPath).length });
    }
    return pages;
  } finally {
    await pdf.destroy();
  }
}
