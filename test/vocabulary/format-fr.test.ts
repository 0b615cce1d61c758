/** The shared French formats (issue 24, item 2): one module for the console and the PDFs. */
import { describe, expect, it } from 'vitest';
import { countOf, formatBytes, formatDate, formatDateTime, formatDuration, formatDurationShort, formatList, formatNumber, formatPercent, formatPeriod } from '../../src/vocabulary/format-fr.js';

const NNBSP = '\u202f';

describe('French formats', () => {
  it('writes numbers with a narrow no-break space and a decimal comma', () => {
    expect(formatNumber(1234567)).toBe(`1${NNBSP}234${NNBSP}567`);
    expect(formatNumber(1234.56, 1)).toBe(`1${NNBSP}234,6`);
    expect(formatPercent(0.875)).toBe('87,5\u202F%');
    expect(formatPercent(null)).toBe('—');
  });

  it('writes sizes in o, Ko, Mo, Go', () => {
    expect(formatBytes(512)).toBe('512\u00A0o');
    expect(formatBytes(2_400)).toBe('2,3\u00A0Ko');
    expect(formatBytes(23_961)).toBe('23\u00A0Ko');
    expect(formatBytes(104_857_600)).toBe('100\u00A0Mo');
    expect(formatBytes(1_610_612_736)).toBe('1,5\u00A0Go');
  });

  it('writes durations in words, and short in tables', () => {
    expect(formatDuration(350)).toBe('moins d’une seconde');
    expect(formatDuration(1000)).toBe('1 seconde');
    expect(formatDuration(12_300)).toBe('12 secondes');
    expect(formatDuration(245_000)).toBe('4 minutes 5 secondes');
    expect(formatDuration(3_600_000)).toBe('1 heure');
    expect(formatDuration(7_380_000)).toBe('2 heures 3 minutes');
    expect(formatDuration(3 * 86_400_000 + 7_200_000)).toBe('3 jours 2 heures');
    expect(formatDuration(null)).toBe('—');
    expect(formatDurationShort(245_000)).toBe('4 min 05 s');
  });

  it('writes dates « 1er octobre 2026 à 09:00 » in the service’s zone', () => {
    expect(formatDate(new Date('2026-10-01T07:00:00Z'), 'Europe/Paris')).toBe('1er octobre 2026');
    expect(formatDate('2026-10-12T07:00:00Z', 'Europe/Paris')).toBe('12 octobre 2026');
    expect(formatDateTime('2026-10-01T07:00:00Z', 'Europe/Paris')).toBe('1er octobre 2026 à 09:00');
    expect(formatDateTime('2026-09-30T22:30:05Z', 'Europe/Paris', 'second')).toBe('1er octobre 2026 à 00:30:05');
    expect(formatDateTime('not a date')).toBe('not a date');
    expect(formatDateTime(null)).toBe('—');
  });

  it('writes periods, lists and counts', () => {
    expect(formatPeriod('2026-10')).toBe('octobre 2026');
    expect(formatPeriod('2026-10-01')).toBe('1er octobre 2026');
    expect(formatList(['a', 'b', 'c'])).toBe('a, b et c');
    expect(countOf(0, 'archive')).toBe('0 archive');
    expect(countOf(3, 'archive')).toBe('3 archives');
    expect(countOf(2, 'cheval', 'chevaux')).toBe('2 chevaux');
  });
});
