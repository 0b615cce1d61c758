/**
 * Figures, sizes, durations and dates as a French reader expects them, for every surface
 * a person reads: the console (admin/ bundles this file), the PDFs and the mails. Intl
 * only, no Node import. Every function accepts what the API or the database gives (ISO
 * text or Date, null for « — ») and never throws on a value it cannot read: it returns
 * it as text.
 *
 *   formatNumber(1234.5, 1)        « 1 234,5 »   (narrow no-break space, decimal comma)
 *   formatPercent(0.875)           « 87,5 % »    (narrow no-break space before %)
 *   formatBytes(104857600)         « 100 Mo »    (no-break space before the unit)
 *   formatDuration(245000)         « 4 minutes 5 secondes »
 *   formatDurationShort(245000)    « 4 min 05 s »  (tables)
 *   formatDate(d, 'Europe/Paris')  « 1er octobre 2026 »
 *   formatDateTime(d, tz)          « 1er octobre 2026 à 09:00 »
 *   formatPeriod('2026-10')        « octobre 2026 »
 *   formatList(['a', 'b', 'c'])    « a, b et c »
 *   countOf(3, 'archive')          « 3 archives »  (countOf(1, 'cheval', 'chevaux'))
 */

export const DASH = '—';
/** Between a number and its %, as French typography (and Intl's fr-FR percent) has it: the two never part at a line end. */
const NNBSP = '\u202F';
/** Between a number and its unit: the two never part at a line end. */
const NBSP = '\u00A0';

/** « 1 234,5 »: French grouping (narrow no-break space) and decimal comma; at most `fractionDigits` decimals. */
export function formatNumber(value: number, fractionDigits = 0): string {
  return new Intl.NumberFormat('fr-FR', { minimumFractionDigits: 0, maximumFractionDigits: fractionDigits }).format(value);
}

/** « 87,5 % » from a ratio (0.875); « — » for null. */
export function formatPercent(ratio: number | null): string {
  return ratio === null ? DASH : `${formatNumber(ratio * 100, 1)}${NNBSP}%`;
}

const SIZE_UNITS = ['Ko', 'Mo', 'Go', 'To'] as const;

/** « 512 o », « 23,4 Ko », « 100 Mo », « 1,5 Go » (units of 1 024, as disks and file managers count). */
export function formatBytes(size: number): string {
  if (!Number.isFinite(size)) return String(size);
  if (Math.abs(size) < 1024) return `${formatNumber(size)}${NBSP}o`;
  let value = size / 1024;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${formatNumber(value, Math.abs(value) < 10 ? 1 : 0)}${NBSP}${SIZE_UNITS[unit]}`;
}

/** « 3 archives », « 1 archive », « 0 archive » (French: 0 and 1 are singular); the plural defaults to singular + s. */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${formatNumber(n)} ${Math.abs(n) < 2 ? singular : plural}`;
}

/** « moins d’une seconde », « 12 secondes », « 4 minutes 5 secondes », « 2 heures 3 minutes », « 3 jours 2 heures ». */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return DASH;
  if (ms < 1000) return 'moins d’une seconde';
  const totalSeconds = Math.round(ms / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const parts = (a: number, unitA: string, b: number, unitB: string) => (b === 0 ? countOf(a, unitA) : `${countOf(a, unitA)} ${countOf(b, unitB)}`);
  if (days > 0) return parts(days, 'jour', hours, 'heure');
  if (hours > 0) return parts(hours, 'heure', minutes, 'minute');
  if (minutes > 0) return parts(minutes, 'minute', seconds, 'seconde');
  return countOf(seconds, 'seconde');
}

/** « 350 ms », « 12,3 s », « 4 min 05 s », « 2 h 03 min »: a duration in a table cell. */
export function formatDurationShort(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${formatNumber(ms / 1000, 1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours === 0) return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
  return `${hours} h ${String(minutes).padStart(2, '0')} min`;
}

function toDate(instant: Date | string | number): Date {
  return instant instanceof Date ? instant : new Date(instant);
}

/** « 1er octobre 2026 », in `timeZone` when given (else the runtime's). */
export function formatDate(instant: Date | string | number | null | undefined, timeZone?: string): string {
  if (instant === null || instant === undefined || instant === '') return DASH;
  const date = toDate(instant);
  if (Number.isNaN(date.getTime())) return String(instant);
  const parts = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', ...(timeZone ? { timeZone } : {}) }).formatToParts(date);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = part('day');
  return `${day === '1' ? '1er' : day} ${part('month')} ${part('year')}`;
}

/** « 1er octobre 2026 à 09:00 » (« … à 09:00:05 » to the second). */
export function formatDateTime(instant: Date | string | number | null | undefined, timeZone?: string, precision: 'minute' | 'second' = 'minute'): string {
  if (instant === null || instant === undefined || instant === '') return DASH;
  const date = toDate(instant);
  if (Number.isNaN(date.getTime())) return String(instant);
  const time = new Intl.DateTimeFormat('fr-FR', {
    hour: '2-digit',
    minute: '2-digit',
    ...(precision === 'second' ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
  return `${formatDate(date, timeZone)} à ${time}`;
}

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'] as const;

/** A report's period or a day: `2026-10` → « octobre 2026 », `2026-10-01` → « 1er octobre 2026 »; other text as it is. */
export function formatPeriod(text: string): string {
  const match = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(text);
  const month = match ? MONTHS[Number(match[2]) - 1] : undefined;
  if (!match || !month) return text;
  if (!match[3]) return `${month} ${match[1]}`;
  const day = Number(match[3]);
  return `${day === 1 ? '1er' : day} ${month} ${match[1]}`;
}

/** « dans 3 heures », « il y a 5 minutes », « hier ». */
export function formatRelative(instant: Date | string | null | undefined, now = Date.now()): string {
  if (instant === null || instant === undefined) return '';
  const seconds = Math.round((toDate(instant).getTime() - now) / 1000);
  if (Number.isNaN(seconds)) return '';
  const format = new Intl.RelativeTimeFormat('fr', { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 60) return format.format(seconds, 'second');
  if (abs < 3600) return format.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return format.format(Math.round(seconds / 3600), 'hour');
  return format.format(Math.round(seconds / 86_400), 'day');
}

/** « a, b et c » */
export function formatList(items: readonly string[]): string {
  return new Intl.ListFormat('fr', { style: 'long', type: 'conjunction' }).format(items);
}
