/**
 * The PDF reports' files (3.7, 5.13). A report is written to `<name>.tmp` beside its final
 * name, flushed to disk (fsync), then renamed over `<name>` and the directory flushed. A
 * reader — the reports API, a mail attachment — sees the previous file or the new one,
 * whole, never a half-written one; a crash leaves at most a `.tmp` that the next run
 * overwrites. A re-run for the same period replaces the file the same way.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { projectFile } from '../project-root.js';
import type { ReportDocument } from './report-kit.js';

export interface WrittenReport {
  readonly path: string;
  readonly sizeBytes: number;
  readonly pages: number;
}

export async function writeReportAtomically(doc: ReportDocument, directory: string, fileName: string): Promise<WrittenReport> {
  await mkdir(directory, { recursive: true });
  const target = path.join(directory, fileName);
  const temporary = `${target}.tmp`;
  const pages = doc.bufferedPageRange().count;
  const out = createWriteStream(temporary);
  doc.pipe(out);
  doc.end();
  try {
    await finished(out);
    const file = await open(temporary, 'r+');
    try {
      await file.sync();
    } finally {
      await file.close();
    }
    const { size } = await stat(temporary);
    await rename(temporary, target);
    const dir = await open(directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return { path: target, sizeBytes: size, pages };
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

const DEFAULT_LOGO = projectFile('assets/logo.svg');

/** REPORT_LOGO (an SVG or PNG file), or the project's own logo. */
export function logoOf(file: string | undefined): { svg: string } | { png: string } {
  if (file === undefined) return { svg: readFileSync(DEFAULT_LOGO, 'utf8') };
  return file.toLowerCase().endsWith('.svg') ? { svg: readFileSync(file, 'utf8') } : { png: file };
}
