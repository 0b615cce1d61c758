/**
 * The reports of REPORTS_DIR (6.8, 6.9) and the one safe way to open one.
 *
 * A name is first checked against the report patterns alone, without touching the
 * file system, so a bad name (`../`, encoded or not, backslashes, absolute paths, NUL)
 * is refused the same way whether or not something exists where it points. A good
 * name is then resolved with realpath: a symlink is followed only when it lands on a
 * report file directly in REPORTS_DIR; anything else is "not found", like a missing file.
 * Only regular files are listed or served: a FIFO under a report's name is "not found"
 * at once, it never holds a download open (security/regular-file.ts).
 */
import { opendir, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Stats } from 'node:fs';
import { openRegularFile } from '../security/regular-file.js';
import { HttpProblem } from './problem.js';

const PATTERNS = [
  { kind: 'monthly', pattern: /^rapport_(\d{4})_(0[1-9]|1[0-2])\.pdf$/, period: (m: RegExpExecArray) => `${m[1]}-${m[2]}` },
  // The day's second anomaly report and the next ones: `_2`, `_3`… (never `_1`, no leading zero).
  { kind: 'anomalies', pattern: /^rapport_anomalies_(\d{4})_(0[1-9]|1[0-2])_(0[1-9]|[12]\d|3[01])(?:_([2-9]|[1-9]\d+))?\.pdf$/, period: (m: RegExpExecArray) => `${m[1]}-${m[2]}-${m[3]}` },
] as const;

export const REPORT_NAME_HINT = 'rapport_YYYY_MM.pdf or rapport_anomalies_YYYY_MM_DD.pdf (rapport_anomalies_YYYY_MM_DD_N.pdf for the day\'s N-th)';

/** 1 for a day's first anomaly report, N for `…_N.pdf`. */
const sequenceOf = (name: string) => Number(/^rapport_anomalies_\d{4}_\d{2}_\d{2}_(\d+)\.pdf$/.exec(name)?.[1] ?? 1);

export interface ReportFile {
  readonly name: string;
  readonly kind: string;
  /** `YYYY-MM` of a monthly report, `YYYY-MM-DD` of an anomaly report. */
  readonly period: string;
  readonly size: number;
  readonly createdAt: Date;
}

export interface OpenedReport extends ReportFile {
  readonly handle: FileHandle;
}

function parseName(name: string): { kind: string; period: string } | undefined {
  for (const { kind, pattern, period } of PATTERNS) {
    const match = pattern.exec(name);
    if (match) return { kind, period: period(match) };
  }
  return undefined;
}

/** Reports directly in the directory, newest period first (the day's latest anomaly report first); an absent directory has none. */
export async function listReports(directory: string): Promise<readonly ReportFile[]> {
  const reports: ReportFile[] = [];
  let dir;
  try {
    dir = await opendir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  for await (const entry of dir) {
    const parsed = parseName(entry.name);
    if (!parsed) continue;
    const real = await resolveInside(directory, entry.name);
    if (!real) continue;
    const stats = await stat(real).catch(() => undefined);
    if (stats?.isFile()) reports.push(describe(entry.name, parsed, stats));
  }
  // Newest period first; on the same day, the latest anomaly report first.
  return reports.sort((a, b) => (a.period !== b.period ? (a.period < b.period ? 1 : -1) : a.kind !== b.kind ? a.kind.localeCompare(b.kind) : sequenceOf(b.name) - sequenceOf(a.name)));
}

/** Opens a report for streaming; HttpProblem 400 for a name that is not a report's, 404 for no such report. */
export async function openReport(directory: string, name: string): Promise<OpenedReport> {
  const parsed = parseName(name);
  if (!parsed) throw new HttpProblem(400, `not a report file name: expected ${REPORT_NAME_HINT}, directly in the reports directory`);
  const real = await resolveInside(directory, name);
  if (!real) throw notFound(name);
  // The real path has no link left: one appearing there since is refused (O_NOFOLLOW).
  const opened = await openRegularFile(real).catch(() => undefined);
  if (!opened) throw notFound(name);
  return { ...describe(name, parsed, opened.stats), handle: opened.handle };
}

/** The real path of `name` when it is a report file directly in the directory (symlinks resolved), else undefined. */
async function resolveInside(directory: string, name: string): Promise<string | undefined> {
  try {
    const realDir = await realpath(directory);
    const real = await realpath(path.join(realDir, name));
    return path.dirname(real) === realDir && parseName(path.basename(real)) ? real : undefined;
  } catch {
    return undefined;
  }
}

function describe(name: string, parsed: { kind: string; period: string }, stats: Stats): ReportFile {
  // Not every file system records a birth time; the last write is the closest stand-in.
  const createdAt = stats.birthtimeMs > 0 ? stats.birthtime : stats.mtime;
  return { name, ...parsed, size: stats.size, createdAt };
}

function notFound(name: string): HttpProblem {
  return new HttpProblem(404, `no report ${name} in the reports directory`);
}
