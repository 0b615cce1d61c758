/** Values of the API in French: statuses, instants, durations, sizes, periods. */

const STATUS_LABELS: Readonly<Record<string, string>> = {
  STARTED: 'En cours',
  STOPPING: 'Arrêt demandé',
  STOPPED: 'Arrêtée',
  COMPLETED: 'Terminée',
  FAILED: 'En échec',
};

export const BATCH_STATUSES = Object.keys(STATUS_LABELS);

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status;
}

export function isRunning(status: string): boolean {
  return status === 'STARTED' || status === 'STOPPING';
}

export function isRestartable(status: string): boolean {
  return status === 'FAILED' || status === 'STOPPED';
}

const TRIGGERS: Readonly<Record<string, string>> = { SCHEDULED: 'planifiée', MANUAL: 'manuelle', CLI: 'ligne de commande' };

export function triggerLabel(trigger: string): string {
  return TRIGGERS[trigger] ?? trigger;
}

/** « 28 nov. 2026, 02:00:05 » (or « 28 nov. 2026, 02:00 » to the minute), in the service's time zone when it is known. */
export function dateTime(iso: string | null | undefined, timeZone?: string, precision: 'second' | 'minute' = 'second'): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const timeStyle = precision === 'second' ? 'medium' : 'short';
  return new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle, ...(timeZone ? { timeZone } : {}) }).format(date);
}

/** « dans 3 heures », « il y a 5 minutes » */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (Number.isNaN(seconds)) return '';
  const format = new Intl.RelativeTimeFormat('fr', { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 60) return format.format(seconds, 'second');
  if (abs < 3600) return format.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return format.format(Math.round(seconds / 3600), 'hour');
  return format.format(Math.round(seconds / 86_400), 'day');
}

/** « 350 ms », « 12,3 s », « 4 min 05 s », « 2 h 03 min » */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${decimal(ms / 1000, 1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours === 0) return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
  return `${hours} h ${String(minutes).padStart(2, '0')} min`;
}

/** « 23,4 Ko » (French units: octet, kilo-octet, …) */
export function bytes(size: number): string {
  if (size < 1024) return `${size} o`;
  const units = ['Ko', 'Mo', 'Go', 'To'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${decimal(value, value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function integer(n: number): string {
  return new Intl.NumberFormat('fr-FR').format(n);
}

function decimal(n: number, digits: number): string {
  return new Intl.NumberFormat('fr-FR', { maximumFractionDigits: digits }).format(n);
}

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];

/** A report's period: `2026-10` → « octobre 2026 », `2026-10-12` → « 12 octobre 2026 ». */
export function period(text: string): string {
  const match = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(text);
  const month = match ? MONTHS[Number(match[2]) - 1] : undefined;
  if (!match || !month) return text;
  return match[3] ? `${Number(match[3])} ${month} ${match[1]}` : `${month} ${match[1]}`;
}

/** Any JSON value as text: a string as it is, the rest as JSON. Rendered as text, never as HTML. */
export function jsonText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}
