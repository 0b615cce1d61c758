/**
 * A Quartz cron expression (seconds first, `?`, weekday names, 1 = Sunday) in French
 * words, for the job list:
 *
 *   cronInWords('0 0 8 ? * MON')        // « tous les lundis à 08:00 »
 *   cronInWords('0 0 3 1 1,4,7,10 ?')   // « le 1er janvier, avril, juillet et octobre à 03:00 »
 *   cronInWords('0 *\/15 * * * ?')       // « toutes les 15 minutes »
 *
 * It covers what schedules are written as: fixed times, lists, ranges, steps, weekdays,
 * days of the month (`L`, `MON#2`, `FRIL`), months. Anything else gives null and the
 * page shows the expression alone: a wrong sentence would be worse than none.
 */

const WEEKDAYS = ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'];
const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** One field: every value, or values and ranges, or every `every` from `start`. */
type Field =
  | { readonly kind: 'any' }
  | { readonly kind: 'ranges'; readonly ranges: readonly (readonly [number, number])[] }
  | { readonly kind: 'step'; readonly start: number; readonly every: number };

interface Bounds {
  readonly min: number;
  readonly max: number;
  /** Names for min, min + 1, … (MON, JAN). */
  readonly names?: readonly string[];
}

const SECOND: Bounds = { min: 0, max: 59 };
const MINUTE: Bounds = { min: 0, max: 59 };
const HOUR: Bounds = { min: 0, max: 23 };
const DAY: Bounds = { min: 1, max: 31 };
const MONTH: Bounds = { min: 1, max: 12, names: MONTH_NAMES };
const WEEKDAY: Bounds = { min: 1, max: 7, names: WEEKDAY_NAMES };

/** The expression in words, or null when it is not one this describer can say exactly. */
export function cronInWords(expression: string): string | null {
  const parts = expression.trim().toUpperCase().split(/\s+/);
  if (parts.length < 6 || parts.length > 7) return null;
  const [second, minute, hour, day, month, weekday, year] = parts as [string, string, string, string, string, string, string | undefined];
  const when = timeOfDay(second, minute, hour);
  const days = dayPhrase(day, month, weekday);
  if (when === null || days === null) return null;
  const yearWords = yearPhrase(year);
  if (yearWords === null) return null;
  const sentence = when.kind === 'at' ? `${days} ${when.words}` : days === 'tous les jours' ? when.words : `${when.words}, ${days}`;
  return yearWords === '' ? sentence : `${sentence} ${yearWords}`;
}

type Time = { readonly kind: 'at' | 'every'; readonly words: string };

function timeOfDay(secondText: string, minuteText: string, hourText: string): Time | null {
  const second = parseField(secondText, SECOND);
  const minute = parseField(minuteText, MINUTE);
  const hour = parseField(hourText, HOUR);
  if (!second || !minute || !hour) return null;
  const s = single(second);
  const m = single(minute);

  if (second.kind === 'any' && minute.kind === 'any' && hour.kind === 'any') return { kind: 'every', words: 'toutes les secondes' };
  if (second.kind === 'step' && second.start === 0 && minute.kind === 'any' && hour.kind === 'any') return { kind: 'every', words: `toutes les ${second.every} secondes` };
  if (s === null) return null;
  const atSecond = s === 0 ? '' : ` et ${s} s`;
  if (minute.kind === 'any' && hour.kind === 'any') return { kind: 'every', words: `toutes les minutes${s === 0 ? '' : `, à la seconde ${s}`}` };
  if (minute.kind === 'step' && minute.start === 0 && hour.kind === 'any' && s === 0) return { kind: 'every', words: `toutes les ${minute.every} minutes` };
  if (m === null) return null;
  if (hour.kind === 'any') return { kind: 'every', words: m === 0 && s === 0 ? 'toutes les heures' : `toutes les heures à ${m} min${atSecond}` };
  if (hour.kind === 'step' && hour.start === 0) {
    return { kind: 'every', words: m === 0 && s === 0 ? `toutes les ${hour.every} heures` : `toutes les ${hour.every} heures, à ${m} min${atSecond}` };
  }
  if (hour.kind === 'ranges' && hour.ranges.length === 1 && hour.ranges[0]![0] !== hour.ranges[0]![1]) {
    const [from, to] = hour.ranges[0]!;
    return { kind: 'every', words: `toutes les heures de ${clock(from, m, s)} à ${clock(to, m, s)}` };
  }
  const hours = values(hour);
  if (hours === null || hours.length > 6) return null;
  return { kind: 'at', words: `à ${frenchList(hours.map((h) => clock(h, m, s)))}` };
}

function dayPhrase(dayText: string, monthText: string, weekdayText: string): string | null {
  const month = parseField(monthText, MONTH);
  if (!month || month.kind === 'step') return null;
  const months = month.kind === 'any' ? null : values(month);
  const dayAny = dayText === '*' || dayText === '?';
  const weekdayAny = weekdayText === '*' || weekdayText === '?';
  if (!dayAny && !weekdayAny) return null;

  if (dayAny && weekdayAny) return months === null ? 'tous les jours' : `tous les jours en ${monthList(months)}`;

  if (!weekdayAny) {
    const words = weekdayPhrase(weekdayText);
    if (words === null) return null;
    return months === null ? words : `${words}, en ${monthList(months)}`;
  }

  if (dayText === 'L') return months === null ? 'le dernier jour de chaque mois' : `le dernier jour de ${monthList(months)}`;
  const day = parseField(dayText, DAY);
  if (!day || day.kind !== 'ranges') return null;
  const onlyRange = day.ranges.length === 1 && day.ranges[0]![0] !== day.ranges[0]![1] ? day.ranges[0]! : null;
  if (onlyRange) {
    const span = `du ${ordinal(onlyRange[0])} au ${onlyRange[1]}`;
    return months === null ? `${span} de chaque mois` : `${span} ${monthOf(months)}`;
  }
  const days = values(day);
  if (days === null) return null;
  const article = days.length === 1 ? 'le' : 'les';
  const dayWords = frenchList(days.map(ordinal));
  if (months === null) return `${article} ${dayWords} de chaque mois`;
  return `${article} ${dayWords} ${days.length === 1 ? monthList(months) : monthOf(months)}`;
}

function weekdayPhrase(text: string): string | null {
  const nth = /^(\w+)#([1-5])$/.exec(text);
  if (nth) {
    const weekday = parseValue(nth[1]!, WEEKDAY);
    if (weekday === null) return null;
    const rank = nth[2] === '1' ? 'premier' : `${nth[2]}e`;
    return `le ${rank} ${WEEKDAYS[weekday - 1]} du mois`;
  }
  const last = /^(\w+)L$/.exec(text);
  if (last) {
    const weekday = parseValue(last[1]!, WEEKDAY);
    return weekday === null ? null : `le dernier ${WEEKDAYS[weekday - 1]} du mois`;
  }
  const field = parseField(text, WEEKDAY);
  if (!field || field.kind !== 'ranges') return null;
  if (field.ranges.length === 1 && field.ranges[0]![0] !== field.ranges[0]![1]) {
    const [from, to] = field.ranges[0]!;
    return `du ${WEEKDAYS[from - 1]} au ${WEEKDAYS[to - 1]}`;
  }
  const days = values(field);
  if (days === null) return null;
  return `tous les ${frenchList(days.map((d) => `${WEEKDAYS[d - 1]}s`))}`;
}

function yearPhrase(text: string | undefined): string | null {
  if (text === undefined || text === '*') return '';
  return /^\d{4}$/.test(text) ? `en ${text}` : null;
}

function parseField(text: string, bounds: Bounds): Field | null {
  if (text === '*' || text === '?') return { kind: 'any' };
  const step = /^(\*|\d+)\/(\d+)$/.exec(text);
  if (step) {
    const start = step[1] === '*' ? bounds.min : Number(step[1]);
    const every = Number(step[2]);
    if (start < bounds.min || start > bounds.max || every < 1 || every > bounds.max) return null;
    return { kind: 'step', start, every };
  }
  const ranges: (readonly [number, number])[] = [];
  for (const part of text.split(',')) {
    const [fromText, toText, ...rest] = part.split('-');
    if (fromText === undefined || rest.length > 0) return null;
    const from = parseValue(fromText, bounds);
    const to = toText === undefined ? from : parseValue(toText, bounds);
    if (from === null || to === null || to < from) return null;
    ranges.push([from, to]);
  }
  return { kind: 'ranges', ranges };
}

function parseValue(text: string, bounds: Bounds): number | null {
  const named = bounds.names?.indexOf(text) ?? -1;
  if (named >= 0) return bounds.min + named;
  if (!/^\d{1,2}$/.test(text)) return null;
  const value = Number(text);
  return value >= bounds.min && value <= bounds.max ? value : null;
}

/** The one value of a field, or null. */
function single(field: Field): number | null {
  return field.kind === 'ranges' && field.ranges.length === 1 && field.ranges[0]![0] === field.ranges[0]![1] ? field.ranges[0]![0] : null;
}

/** Every value of a list field in order, or null for `*` and steps. */
function values(field: Field): number[] | null {
  if (field.kind !== 'ranges') return null;
  const all = new Set<number>();
  for (const [from, to] of field.ranges) for (let v = from; v <= to; v++) all.add(v);
  return [...all].sort((a, b) => a - b);
}

function clock(hour: number, minute: number | null, second: number | null): string {
  const hm = `${pad(hour)}:${pad(minute ?? 0)}`;
  return second ? `${hm}:${pad(second)}` : hm;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function ordinal(day: number): string {
  return day === 1 ? '1er' : String(day);
}

function monthList(months: readonly number[]): string {
  return frenchList(months.map((m) => MONTHS[m - 1]!));
}

/** « de janvier », « d'avril et juillet » */
function monthOf(months: readonly number[]): string {
  const list = monthList(months);
  return /^[aeiouéè]/.test(list) ? `d'${list}` : `de ${list}`;
}

/** « a », « a et b », « a, b et c » */
export function frenchList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} et ${items[items.length - 1]}`;
}
