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

/** A line of text as PDF.js places it, in points from the page's top left (as pdfkit lays it out). */
export interface PlacedText {
  /** The text as written, no-break spaces kept (PDF.js would otherwise normalise them to spaces). */
  readonly str: string;
  readonly x: number;
  readonly width: number;
  /** The baseline. */
  readonly y: number;
  readonly fontSize: number;
  /** The glyphs' extent above and below the baseline (ascender, descender of the size). */
  readonly top: number;
  readonly bottom: number;
}

/** The bounding box of a drawn path (a tile, a table's header band, a rule), top left origin. */
export interface PlacedPath {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  /** Filled (a tile, a band) rather than stroked (a rule). */
  readonly filled: boolean;
}

export interface PdfLayoutPage {
  readonly width: number;
  readonly height: number;
  readonly texts: readonly PlacedText[];
  readonly paths: readonly PlacedPath[];
  /**
   * Each text-showing operation's characters, from the font's own map: PDF.js's text
   * content turns every space-like glyph into a space, these keep the no-break ones.
   */
  readonly runs: readonly string[];
}

/**
 * Where each text and path of each page lies. pdfkit draws under a page-wide flip (its
 * origin is the top left); PDF.js gives text positions in PDF space (bottom left) and path
 * boxes in the space they were drawn in, so only text is flipped here. Paths drawn under
 * another transform (the charts') keep their own coordinates: look at the kit's own.
 */
export async function readPdfLayout(bytes: Uint8Array): Promise<readonly PdfLayoutPage[]> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false, isEvalSupported: false }).promise;
  try {
    const pages: PdfLayoutPage[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const [, , width, height] = page.view as [number, number, number, number];
      const content = await page.getTextContent({ disableNormalization: true });
      const texts: PlacedText[] = [];
      for (const item of content.items) {
        if (!('str' in item) || item.str.trim() === '') continue;
        const [size, , , , x, y] = item.transform as number[];
        const baseline = height - y!;
        texts.push({ str: item.str, x: x!, width: item.width, y: baseline, fontSize: size!, top: baseline - 0.76 * size!, bottom: baseline + 0.24 * size! });
      }
      const { fnArray, argsArray } = await page.getOperatorList();
      const paths: PlacedPath[] = [];
      const runs: string[] = [];
      fnArray.forEach((op, i) => {
        if (op === OPS.showText) {
          const glyphs = (argsArray[i] as [readonly (number | { unicode?: string } | null)[]])[0];
          runs.push(glyphs.map((g) => (typeof g === 'object' && g !== null ? (g.unicode ?? '') : '')).join(''));
        }
        if (op !== OPS.constructPath) return;
        const [, , minMax] = argsArray[i] as [unknown, unknown, number[]];
        // The painting operator that ends the path (a colour may be set in between).
        const FILLS: number[] = [OPS.fill, OPS.eoFill, OPS.fillStroke, OPS.eoFillStroke, OPS.closeFillStroke, OPS.closeEOFillStroke];
        const ENDS: number[] = [...FILLS, OPS.stroke, OPS.closeStroke, OPS.endPath, OPS.constructPath];
        const paint = fnArray.slice(i + 1).find((next) => ENDS.includes(next));
        const filled = paint !== undefined && FILLS.includes(paint);
        if (minMax && Number.isFinite(minMax[0])) paths.push({ left: minMax[0]!, top: minMax[1]!, right: minMax[2]!, bottom: minMax[3]!, filled });
      });
      pages.push({ width, height, texts, paths, runs });
    }
    return pages;
  } finally {
    await pdf.destroy();
  }
}
