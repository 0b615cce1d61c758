/**
 * Values of the API in French for the console. The words and formats are the service's
 * shared ones (src/vocabulary/: the PDFs and mails say the same); this file gives them
 * the console's short names and adds what only the console needs.
 */
import { BATCH_STATUSES as STATUS_CODES } from '../../src/vocabulary/codes.js';
import {
  formatBytes,
  formatDateTime,
  formatDurationShort,
  formatNumber,
  formatPeriod,
  formatRelative,
} from '../../src/vocabulary/format-fr.js';

export { jobLabel, statusLabel, triggerLabel } from '../../src/vocabulary/words-fr.js';

export const BATCH_STATUSES: readonly string[] = STATUS_CODES;

export function isRunning(status: string): boolean {
  return status === 'STARTED' || status === 'STOPPING';
}

export function isRestartable(status: string): boolean {
  return status === 'FAILED' || status === 'STOPPED';
}

/** « 1er octobre 2026 à 09:00:05 » (or « … à 09:00 » to the minute), in the service's time zone when it is known. */
export function dateTime(iso: string | null | undefined, timeZone?: string, precision: 'second' | 'minute' = 'second'): string {
  return formatDateTime(iso, timeZone, precision);
}

/** « dans 3 heures », « il y a 5 minutes » */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  return formatRelative(iso, now);
}

/** « 350 ms », « 12,3 s », « 4 min 05 s », « 2 h 03 min » (a table cell; formatDuration says it in words) */
export const duration = formatDurationShort;

/** « 23 Ko », « 100 Mo » */
export const bytes = formatBytes;

export function integer(n: number): string {
  return formatNumber(n);
}

/** A report's period: `2026-10` → « octobre 2026 », `2026-10-12` → « 12 octobre 2026 ». */
export const period = formatPeriod;

/** Any JSON value as text: a string as it is, the rest as JSON. Only for what a person typed (parameters, skipped items). */
export function jsonText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}
