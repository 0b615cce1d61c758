/** svg-to-pdfkit ships no types: the one call this project makes. */
declare module 'svg-to-pdfkit' {
  import type PDFDocument from 'pdfkit';
  interface Options {
    width?: number;
    height?: number;
    preserveAspectRatio?: string;
    /** Which embedded font draws an SVG text of this family and weight. */
    fontCallback?: (family: string, bold: boolean, italic: boolean) => string;
    assumePt?: boolean;
  }
  export default function SVGtoPDF(doc: PDFKit.PDFDocument | PDFDocument, svg: string, x: number, y: number, options?: Options): void;
}
